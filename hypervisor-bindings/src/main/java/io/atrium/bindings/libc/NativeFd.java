package io.atrium.bindings.libc;

import io.atrium.bindings.internal.LibC;
import java.io.Closeable;
import java.util.concurrent.atomic.AtomicBoolean;

/** A file descriptor this process owns; closed exactly once. */
public class NativeFd implements Closeable {
    private final int fd;
    private final String what;
    private final AtomicBoolean closed = new AtomicBoolean();

    public NativeFd(int fd, String what) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.fd = fd;
        this.what = what;
    }

    /** The descriptor number; valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() throws ErrnoException {
        if (closed.compareAndSet(false, true)) {
            try {
                LibC.INSTANCE.close(fd);
            } catch (com.sun.jna.LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "close", fd);
            }
        }
    }

    @Override
    public String toString() {
        return what + "[fd " + fd + (isClosed() ? ", closed]" : "]");
    }
}
