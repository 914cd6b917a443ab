package io.atrium.bindings.kvm;

import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decides whether full Linux guests can run on KVM here, so the microVM sandboxer can pick KVM or TCG.
 *
 * <p>Hardware virtualisation (kvm_intel/kvm_amd) boots stock guests. PVM (kvm_pvm, "Pageable Virtual
 * Machine", used for nested virtualisation without VMX/SVM in the L1 guest) runs tiny real-mode code
 * but a stock Linux guest kernel hangs under it: only PVM-patched guest kernels boot.
 */
public final class KvmProbe {
    private final Syscalls sys;
    private final Path device;
    private final Path modules;

    public KvmProbe(Syscalls sys) {
        this(sys, KvmSystem.DEVICE, Path.of("/sys/module"));
    }

    KvmProbe(Syscalls sys, Path device, Path modules) {
        this.sys = sys;
        this.device = device;
        this.modules = modules;
    }

    public KvmProbeResult probe() {
        if (!Files.exists(device)) {
            return new KvmProbeResult(false, false, 0, "none", false, false, device + " does not exist");
        }
        String backend = backend();
        int api;
        boolean tiny;
        try (KvmSystem kvm = new KvmSystem(sys, device)) {
            api = kvm.apiVersion();
            if (api != KvmIoctls.KVM_API_VERSION) {
                return new KvmProbeResult(true, false, api, backend, false, false,
                        "KVM API version " + api + ", expected " + KvmIoctls.KVM_API_VERSION);
            }
            tiny = tinyGuestRuns(kvm);
        } catch (ErrnoException e) {
            return new KvmProbeResult(true, false, 0, backend, false, false, "cannot use " + device + ": " + e.getMessage());
        }
        return switch (backend) {
            case "kvm_intel", "kvm_amd" -> new KvmProbeResult(true, true, api, backend, tiny, tiny,
                    tiny ? "hardware virtualisation (" + backend + ")" : "hardware KVM but a trivial guest did not run");
            case "kvm_pvm" -> new KvmProbeResult(true, true, api, backend, tiny, false,
                    "nested PVM (kvm_pvm): stock Linux guest kernels hang, use TCG or a PVM guest kernel");
            default -> new KvmProbeResult(true, true, api, backend, tiny, false,
                    "unknown KVM backend: no kvm_intel, kvm_amd or kvm_pvm module found");
        };
    }

    private String backend() {
        // kvm_pvm is checked first: on a PVM host the vendor modules may be loaded without usable VMX/SVM
        for (String m : new String[] {"kvm_pvm", "kvm_intel", "kvm_amd"}) {
            if (Files.isDirectory(modules.resolve(m))) {
                return m;
            }
        }
        return "unknown";
    }

    /** Runs OUT 0x3f8,'A'; HLT in real mode and checks both exits arrive. */
    static boolean tinyGuestRuns(KvmSystem kvm) {
        byte[] code = {(byte) 0xba, (byte) 0xf8, 0x03, (byte) 0xb0, 'A', (byte) 0xee, (byte) 0xf4};
        try (GuestMemory mem = new GuestMemory(0x1000); KvmVm vm = kvm.createVm()) {
            mem.write(0, code);
            vm.setUserMemoryRegion(0, 0x1000, mem);
            KvmVcpu cpu = vm.createVcpu(0);
            cpu.setSregs(cpu.sregs().realMode(0));
            cpu.setRegs(KvmRegs.realMode(0x1000, 0x2000));
            VcpuExit first = cpu.run();
            VcpuExit second = cpu.run();
            return first instanceof VcpuExit.Io io && io.out() && io.port() == 0x3f8 && io.data()[0] == 'A'
                    && second instanceof VcpuExit.Hlt;
        } catch (ErrnoException | RuntimeException e) {
            return false;
        }
    }
}
