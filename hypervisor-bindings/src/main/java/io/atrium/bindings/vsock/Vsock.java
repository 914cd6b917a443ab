package io.atrium.bindings.vsock;

import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/** What AF_VSOCK offers on this host. */
public final class Vsock {
    /** IOCTL_VM_SOCKETS_GET_LOCAL_CID, {@code linux/vm_sockets.h}: _IO(7, 0xb9). */
    static final long IOCTL_VM_SOCKETS_GET_LOCAL_CID = 0x7b9;

    private final Syscalls sys;

    public Vsock(Syscalls sys) {
        this.sys = sys;
    }

    /** This machine's CID (a guest's own address; 2 on a host). */
    public int localCid() throws ErrnoException {
        try (NativeFd fd = sys.open(Path.of("/dev/vsock"), FileFlags.O_RDONLY)) {
            com.sun.jna.Memory cid = new com.sun.jna.Memory(4);
            try {
                LibC.INSTANCE.ioctl(fd.fd(), IOCTL_VM_SOCKETS_GET_LOCAL_CID, cid);
            } catch (com.sun.jna.LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "ioctl", "/dev/vsock", "IOCTL_VM_SOCKETS_GET_LOCAL_CID");
            }
            return cid.getInt(0);
        }
    }

    /**
     * Why the loopback transport (VMADDR_CID_LOCAL) is unavailable, or empty if it is available.
     * Without it, connections to CID 1 go to the guest-to-host transport, i.e. leave this machine.
     */
    public Optional<String> loopbackUnavailableReason() {
        if (Files.isDirectory(Path.of("/sys/module/vsock_loopback"))) {
            return Optional.empty();
        }
        Path config = Path.of("/proc/config.gz");
        if (!Files.exists(config)) {
            return Optional.of("vsock_loopback module not loaded and /proc/config.gz absent: cannot tell");
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(config))) {
            String cfg = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            if (cfg.contains("\nCONFIG_VSOCKETS_LOOPBACK=y")) {
                return Optional.empty();
            }
            if (cfg.contains("\nCONFIG_VSOCKETS_LOOPBACK=m")) {
                return Optional.of("vsock_loopback is a module and not loaded (modprobe vsock_loopback)");
            }
            return Optional.of("kernel built without CONFIG_VSOCKETS_LOOPBACK (" + config + ")");
        } catch (IOException e) {
            return Optional.of("cannot read " + config + ": " + e.getMessage());
        }
    }
}
