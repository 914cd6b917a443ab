package io.atrium.bindings.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.ErrnoException;

/** ioctl(2) with the request named in errors. */
final class Ioctl {
    private static final LibC LIBC = LibC.INSTANCE;

    private Ioctl() {
    }

    static int call(int fd, long request, String name, long arg) throws ErrnoException {
        try {
            return LIBC.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "ioctl", fd, name, arg);
        }
    }

    static int call(int fd, long request, String name, Pointer arg) throws ErrnoException {
        try {
            return LIBC.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "ioctl", fd, name);
        }
    }
}
