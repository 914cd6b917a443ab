package io.atrium.bindings.vsock;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;

/** Socket calls shared by the client and server sockets. */
final class VsockNative {
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = FileFlags.O_CLOEXEC;
    static final int SHUT_WR = 1;
    static final LibC LIBC = LibC.INSTANCE;

    private VsockNative() {
    }

    static NativeFd socket() throws ErrnoException {
        try {
            return new NativeFd(LIBC.socket(VsockAddress.AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), "vsock");
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "socket", "AF_VSOCK", "SOCK_STREAM");
        }
    }

    static VsockAddress sockname(NativeFd fd, boolean peer) throws ErrnoException {
        Memory m = new Memory(VsockAddress.SIZE);
        m.clear();
        IntByReference len = new IntByReference(VsockAddress.SIZE);
        try {
            if (peer) {
                LIBC.getpeername(fd.fd(), m, len);
            } else {
                LIBC.getsockname(fd.fd(), m, len);
            }
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), peer ? "getpeername" : "getsockname", fd.fd());
        }
        return VsockAddress.fromNative(m);
    }

    /** poll(2) one fd for {@code events}; false on timeout. */
    static boolean await(NativeFd fd, short events, int timeoutMillis) throws ErrnoException {
        Memory pfd = new Memory(8);
        pfd.clear();
        pfd.setInt(0, fd.fd());
        pfd.setShort(4, events);
        while (true) {
            try {
                return LIBC.poll(pfd, 1, timeoutMillis) > 0;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number()) {
                    throw new ErrnoException(e.getErrorCode(), "poll", fd.fd());
                }
            }
        }
    }
}
