package io.atrium.bindings.vsock;

import com.sun.jna.LastErrorException;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import java.io.Closeable;
import java.time.Duration;
import java.util.Optional;

/** A listening AF_VSOCK stream socket. */
public final class VsockServerSocket implements Closeable {
    private final NativeFd fd;

    private VsockServerSocket(NativeFd fd) {
        this.fd = fd;
    }

    /** socket + bind + listen. Use {@link VsockAddress#CID_ANY} and/or {@link VsockAddress#PORT_ANY}. */
    public static VsockServerSocket bind(VsockAddress address, int backlog) throws ErrnoException {
        NativeFd fd = VsockNative.socket();
        try {
            try {
                VsockNative.LIBC.bind(fd.fd(), address.toNative(), VsockAddress.SIZE);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "bind", address.toString());
            }
            try {
                VsockNative.LIBC.listen(fd.fd(), backlog);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "listen", address.toString(), backlog);
            }
            return new VsockServerSocket(fd);
        } catch (ErrnoException e) {
            fd.close();
            throw e;
        }
    }

    public VsockAddress localAddress() throws ErrnoException {
        return VsockNative.sockname(fd, false);
    }

    /** Waits up to {@code timeout} for a connection; empty on timeout. */
    public Optional<VsockSocket> accept(Duration timeout) throws ErrnoException {
        if (!VsockNative.await(fd, FileFlags.POLLIN, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))) {
            return Optional.empty();
        }
        try {
            int c = VsockNative.LIBC.accept4(fd.fd(), null, null, VsockNative.SOCK_CLOEXEC);
            return Optional.of(new VsockSocket(new NativeFd(c, "vsock-conn")));
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "accept4", fd.fd());
        }
    }

    @Override
    public void close() throws ErrnoException {
        fd.close();
    }
}
