package io.atrium.sandboxer.gvisor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

/**
 * The root filesystem of every pod's first container: runsc needs one container to bring a sandbox
 * up, and that container's process is the sandbox's root. Here it is {@code /pause}, a 129-byte static
 * x86-64 program that loops on pause(2) until a signal ends it — written out by this class rather than
 * taken from an image or a host package, so a pod needs neither a pull nor busybox on the node. It
 * lives inside the sandbox, under gVisor's kernel; nothing of it runs on the host.
 */
final class PauseRootfs {
    static final String PROGRAM = "/pause";

    /** {@code mov eax, 34 (pause); syscall; jmp back to mov}. */
    private static final byte[] CODE = {(byte) 0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, (byte) 0xeb, (byte) 0xf7};
    private static final long BASE = 0x400000L;
    private static final int ELF_HEADER = 64;
    private static final int PROGRAM_HEADER = 56;

    private PauseRootfs() {
    }

    /** The ELF image: one header, one loadable read+execute segment holding the whole file, then the code. */
    static byte[] program() {
        int size = ELF_HEADER + PROGRAM_HEADER + CODE.length;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little endian */, 1 /* ELF v1 */, 0 /* SysV */});
        b.put(new byte[8]);
        b.putShort((short) 2); // ET_EXEC
        b.putShort((short) 0x3e); // EM_X86_64
        b.putInt(1); // EV_CURRENT
        b.putLong(BASE + ELF_HEADER + PROGRAM_HEADER); // entry: the code right after the headers
        b.putLong(ELF_HEADER); // program header table offset
        b.putLong(0); // no section headers
        b.putInt(0); // flags
        b.putShort((short) ELF_HEADER);
        b.putShort((short) PROGRAM_HEADER);
        b.putShort((short) 1); // one program header
        b.putShort((short) 0).putShort((short) 0).putShort((short) 0); // no sections
        b.putInt(1); // PT_LOAD
        b.putInt(5); // PF_R | PF_X
        b.putLong(0); // from file offset 0
        b.putLong(BASE).putLong(BASE); // virtual and physical address
        b.putLong(size).putLong(size); // file and memory size
        b.putLong(0x1000); // alignment
        b.put(CODE);
        return b.array();
    }

    /** Creates (or repairs) the rootfs in {@code dir}: /pause plus the mount points runsc needs. */
    static Path ensure(Path dir) throws IOException {
        for (String d : List.of("proc", "dev", "sys", "tmp", "etc")) {
            Files.createDirectories(dir.resolve(d));
        }
        Path pause = dir.resolve(PROGRAM.substring(1));
        byte[] want = program();
        if (!Files.isRegularFile(pause) || !Arrays.equals(Files.readAllBytes(pause), want)) {
            Path tmp = Files.createTempFile(dir, ".pause-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.write(tmp, want);
            Files.move(tmp, pause, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }
}
