package io.atrium.bindings.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KvmTest {
    private static final int CODE_AT = 0x1000;
    /** Real-mode program: OUT "Hi\n", MMIO write, IN + echo, MMIO read + echo, HLT. */
    private static final byte[] PROGRAM = {
        (byte) 0xba, (byte) 0xf8, 0x03,             // mov dx, 0x3f8
        (byte) 0xb0, 'H', (byte) 0xee,              // mov al, 'H'; out dx, al
        (byte) 0xb0, 'i', (byte) 0xee,              // mov al, 'i'; out dx, al
        (byte) 0xb0, 0x0a, (byte) 0xee,             // mov al, '\n'; out dx, al
        (byte) 0xc6, 0x06, 0x00, (byte) 0x80, 0x42, // mov byte [0x8000], 0x42  (no memory there: MMIO)
        (byte) 0xec, (byte) 0xee,                   // in al, dx; out dx, al
        (byte) 0xa0, 0x00, (byte) 0x80,             // mov al, [0x8000]          (MMIO read)
        (byte) 0xee,                                // out dx, al
        (byte) 0xf4,                                // hlt
    };

    private final Syscalls sys = new Syscalls();
    private KvmSystem kvm;
    private GuestMemory mem;
    private KvmVm vm;

    @BeforeEach
    void open() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/kvm")), "/dev/kvm does not exist on this machine");
        kvm = new KvmSystem(sys);
        mem = new GuestMemory(0x1000);
        vm = kvm.createVm();
        vm.setUserMemoryRegion(0, CODE_AT, mem);
    }

    @AfterEach
    void close() throws Exception {
        if (vm != null) {
            vm.close();
        }
        if (mem != null) {
            mem.close();
        }
        if (kvm != null) {
            kvm.close();
        }
    }

    private KvmVcpu realModeCpu(byte[] code) throws ErrnoException {
        mem.write(0, code);
        KvmVcpu cpu = vm.createVcpu(0);
        cpu.setSregs(cpu.sregs().realMode(0));
        cpu.setRegs(KvmRegs.realMode(CODE_AT, 0x1ff0));
        return cpu;
    }

    @Test
    void systemQueries() throws Exception {
        assertEquals(12, kvm.apiVersion());
        assertTrue(kvm.checkExtension(KvmIoctls.KVM_CAP_USER_MEMORY) > 0);
        assertTrue(kvm.checkExtension(KvmIoctls.KVM_CAP_NR_VCPUS) >= 1);
        assertEquals(0, kvm.checkExtension(0x7fff_fff0), "an unknown capability is absent, not an error");
        assertTrue(kvm.vcpuMmapSize() >= 4096);
    }

    @Test
    void ioctlNumbersMatchTheKernelHeaders() {
        // values printed by a C program including linux/kvm.h on this machine
        assertEquals(0x4020ae46L, KvmIoctls.KVM_SET_USER_MEMORY_REGION);
        assertEquals(0x8090ae81L, KvmIoctls.KVM_GET_REGS);
        assertEquals(0x4090ae82L, KvmIoctls.KVM_SET_REGS);
        assertEquals(0x8138ae83L, KvmIoctls.KVM_GET_SREGS);
        assertEquals(0x4138ae84L, KvmIoctls.KVM_SET_SREGS);
        assertEquals(0xae80L, KvmIoctls.KVM_RUN);
    }

    @Test
    void realModeGuestProducesExactBytesAndExitSequence() throws Exception {
        KvmVcpu cpu = realModeCpu(PROGRAM);
        assertEquals(CODE_AT, cpu.regs().rip());
        assertEquals(0, cpu.sregs().segment(KvmSregs.Segment.CS).base());

        List<String> exits = new ArrayList<>();
        StringBuilder serial = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            VcpuExit exit = cpu.run();
            if (exit instanceof VcpuExit.Io io && io.out()) {
                assertEquals(0x3f8, io.port());
                assertEquals(1, io.size());
                serial.append((char) io.data()[0]);
                exits.add("out:" + Integer.toHexString(io.data()[0] & 0xff));
            } else if (exit instanceof VcpuExit.Io io) {
                exits.add("in:" + Integer.toHexString(io.port()));
                cpu.completeIoIn(new byte[] {'Z'});
            } else if (exit instanceof VcpuExit.Mmio m && m.write()) {
                exits.add("mmio-write:" + Long.toHexString(m.address()) + "=" + Integer.toHexString(m.data()[0]));
            } else if (exit instanceof VcpuExit.Mmio m) {
                exits.add("mmio-read:" + Long.toHexString(m.address()) + "/" + m.data().length);
                cpu.completeMmioRead(new byte[] {0x37});
            } else if (exit instanceof VcpuExit.Hlt) {
                exits.add("hlt");
                break;
            } else {
                exits.add("unexpected:" + exit);
                break;
            }
        }
        assertEquals(List.of("out:48", "out:69", "out:a", "mmio-write:8000=42", "in:3f8", "out:5a",
                "mmio-read:8000/1", "out:37", "hlt"), exits);
        assertEquals("Hi\nZ7", serial.toString());
        KvmRegs regs = cpu.regs();
        assertEquals(CODE_AT + PROGRAM.length, regs.rip(), "stopped right after HLT");
        assertEquals(0x37, regs.rax() & 0xff);
        assertEquals(0x3f8, regs.rdx() & 0xffff);
    }

    @Test
    void registersRoundTrip() throws Exception {
        KvmVcpu cpu = realModeCpu(new byte[] {(byte) 0xf4});
        cpu.setRegs(cpu.regs().withRax(0x1234_5678L));
        assertEquals(0x1234_5678L, cpu.regs().rax());
        KvmSregs s = cpu.sregs().idt(0x500, 0x3ff);
        cpu.setSregs(s);
        assertEquals(0x500, cpu.sregs().idtBase());
        assertEquals(0x3ff, cpu.sregs().idtLimit());
        assertEquals(0, cpu.sregs().cr0() & 1, "real mode: PE clear");
        assertInstanceOf(VcpuExit.Hlt.class, cpu.run());
    }

    @Test
    void tripleFaultGivesShutdown() throws Exception {
        // UD2 with an empty interrupt vector table: #UD -> #GP -> #DF -> triple fault
        KvmVcpu cpu = realModeCpu(new byte[] {0x0f, 0x0b});
        cpu.setSregs(cpu.sregs().idt(0, 0));
        VcpuExit exit = cpu.run();
        assumeTrue(!(exit instanceof VcpuExit.InternalError),
                "this KVM backend reports a real-mode triple fault as " + exit + ", not KVM_EXIT_SHUTDOWN");
        assertInstanceOf(VcpuExit.Shutdown.class, exit);
    }

    @Test
    void badInputIsAnErrnoNotACrash() throws Exception {
        assertTrue(assertThrows(ErrnoException.class, () -> new GuestMemory(1000)).is(Errno.EINVAL));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.write(4090, new byte[16]));
        assertTrue(assertThrows(ErrnoException.class, () -> vm.setUserMemoryRegion(1, 0x1234, mem)).is(Errno.EINVAL));
        try (GuestMemory other = new GuestMemory(0x1000)) {
            ErrnoException overlap = assertThrows(ErrnoException.class, () -> vm.setUserMemoryRegion(1, CODE_AT, other));
            assertTrue(overlap.is(Errno.EEXIST), overlap.getMessage());
        }
        vm.createVcpu(0);
        assertTrue(assertThrows(ErrnoException.class, () -> vm.createVcpu(0)).is(Errno.EEXIST));
        try (KvmSystem notKvm = new KvmSystem(sys, Path.of("/dev/null"))) {
            ErrnoException e = assertThrows(ErrnoException.class, notKvm::apiVersion);
            assertTrue(e.is(Errno.ENOTTY), e.getMessage());
            assertTrue(e.args().contains("KVM_GET_API_VERSION"));
        }
        assertTrue(assertThrows(ErrnoException.class, () -> new KvmSystem(sys, Path.of("/dev/no-kvm"))).is(Errno.ENOENT));
    }

    @Test
    void probeReportsWhetherLinuxGuestsCanBoot() {
        KvmProbeResult r = new KvmProbe(sys).probe();
        assertTrue(r.devicePresent() && r.usable(), r.toString());
        assertEquals(12, r.apiVersion());
        assertTrue(r.tinyGuestRuns(), r.toString());
        if (Files.isDirectory(Path.of("/sys/module/kvm_pvm"))) {
            assertEquals("kvm_pvm", r.backend());
            assertFalse(r.linuxGuestBootable());
            assertEquals(KvmProbeResult.Accelerator.TCG, r.recommended());
            assertTrue(r.reason().contains("PVM"), r.reason());
        } else {
            assertEquals(r.linuxGuestBootable() ? KvmProbeResult.Accelerator.KVM : KvmProbeResult.Accelerator.TCG,
                    r.recommended());
        }
        KvmProbeResult none = new KvmProbe(sys, Path.of("/dev/no-kvm"), Path.of("/sys/module")).probe();
        assertFalse(none.devicePresent());
        assertEquals(KvmProbeResult.Accelerator.TCG, none.recommended());
    }
}
