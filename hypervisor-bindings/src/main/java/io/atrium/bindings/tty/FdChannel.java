package io.atrium.bindings.tty;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * A byte channel over a raw file descriptor (a pty master, a FIFO end) whose blocking reads and writes
 * wake up when it is closed: each call polls the descriptor together with an eventfd that
 * {@link #close()} signals, so closing never races a blocked thread and never leaves it stuck. The
 * descriptor itself is closed only once no call is inside a syscall on it, so its number cannot be
 * reused under a reader.
 *
 * <p>{@link #release()} ends the channel without closing the descriptor, for handing it over by
 * number to a later owner in the same process (a new sandboxer bundle instance). JDK channels cannot
 * wrap a bare descriptor, hence this class.
 *
 * <p>A pty master reads end-of-file (EIO) once every slave end is closed; that is reported as -1.
 */
public final class FdChannel implements ByteChannel {
    private static final LibC LIBC = LibC.INSTANCE;
    private static final int CHUNK = 32 * 1024;

    private final NativeFd fd;
    private final NativeFd wake;
    private final Memory readBuffer = new Memory(CHUNK);
    private final Memory writeBuffer = new Memory(CHUNK);
    private int inFlight; // guarded by this
    private boolean closing; // guarded by this
    private boolean keepFd; // guarded by this
    private boolean released; // guarded by this

    /** Takes ownership of {@code fd}. */
    public FdChannel(NativeFd fd) throws ErrnoException {
        this.fd = fd;
        try {
            this.wake = new NativeFd(LIBC.eventfd(0, FileFlags.EFD_CLOEXEC | FileFlags.EFD_NONBLOCK), "eventfd:" + fd);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "eventfd", 0, "EFD_CLOEXEC|EFD_NONBLOCK");
        }
    }

    /**
     * Opens a FIFO read-write (close-on-exec): that never blocks on Linux, and holding it keeps the
     * FIFO's reader (a container's stdin) from seeing end-of-file until this channel closes.
     */
    public static FdChannel openFifo(java.nio.file.Path fifo) throws ErrnoException {
        int n;
        try {
            n = LIBC.open(fifo.toString(), FileFlags.O_RDWR | FileFlags.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "open", fifo, "O_RDWR|O_CLOEXEC");
        }
        NativeFd fd = new NativeFd(n, "fifo:" + fifo);
        try {
            return new FdChannel(fd);
        } catch (ErrnoException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Wraps a descriptor an earlier owner in this process {@link #release() released}, after checking
     * that it is still what it was: {@code /proc/self/fd/<n>} must link to one of {@code expectedTargets}.
     * Empty when it does not (closed, or the process restarted and the number means something else).
     */
    public static java.util.Optional<FdChannel> adopt(int n, java.util.Set<String> expectedTargets) throws ErrnoException {
        if (n <= 2) {
            return java.util.Optional.empty();
        }
        String target;
        try {
            target = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + n)).toString();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
        if (!expectedTargets.contains(target)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new FdChannel(new NativeFd(n, "adopted:" + target)));
    }

    /** The descriptor number (for TIOCSWINSZ, or to record it for a handover). */
    public int fd() {
        return fd.fd();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        enter();
        try {
            synchronized (readBuffer) {
                while (true) {
                    if (!await(FileFlags.POLLIN)) {
                        return -1; // closed while waiting
                    }
                    long n;
                    try {
                        n = LIBC.read(fd.fd(), readBuffer, Math.min(dst.remaining(), CHUNK));
                    } catch (LastErrorException e) {
                        int err = e.getErrorCode();
                        if (err == Errno.EINTR.number() || err == Errno.EAGAIN.number()) {
                            continue;
                        }
                        if (err == Errno.EIO.number()) {
                            return -1; // pty master: the last slave end closed
                        }
                        throw new ErrnoException(err, "read", fd.fd());
                    }
                    if (n == 0) {
                        return -1;
                    }
                    byte[] b = readBuffer.getByteArray(0, (int) n);
                    dst.put(b);
                    return (int) n;
                }
            }
        } finally {
            leave();
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        enter();
        try {
            synchronized (writeBuffer) {
                int total = 0;
                while (src.hasRemaining()) {
                    if (!await(FileFlags.POLLOUT)) {
                        throw new AsynchronousCloseException();
                    }
                    int len = Math.min(src.remaining(), CHUNK);
                    byte[] b = new byte[len];
                    src.get(b);
                    writeBuffer.write(0, b, 0, len);
                    int off = 0;
                    while (off < len) {
                        try {
                            off += (int) LIBC.write(fd.fd(), writeBuffer.share(off), len - off);
                        } catch (LastErrorException e) {
                            int err = e.getErrorCode();
                            if (err == Errno.EINTR.number()) {
                                continue;
                            }
                            if (err == Errno.EAGAIN.number()) {
                                if (!await(FileFlags.POLLOUT)) {
                                    throw new AsynchronousCloseException();
                                }
                                continue;
                            }
                            throw new ErrnoException(err, "write", fd.fd());
                        }
                    }
                    total += len;
                }
                return total;
            }
        } finally {
            leave();
        }
    }

    /** poll(2) the descriptor and the wake-up eventfd; false once the channel is closing. */
    private boolean await(short events) throws ErrnoException {
        Memory pfd = new Memory(16);
        pfd.clear();
        pfd.setInt(0, fd.fd());
        pfd.setShort(4, events);
        pfd.setInt(8, wake.fd());
        pfd.setShort(12, FileFlags.POLLIN);
        while (true) {
            synchronized (this) {
                if (closing) {
                    return false;
                }
            }
            try {
                LIBC.poll(pfd, 2, -1);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EINTR.number()) {
                    continue;
                }
                throw new ErrnoException(e.getErrorCode(), "poll", fd.fd());
            }
            if (pfd.getShort(14) != 0) {
                return false; // woken by close
            }
            if (pfd.getShort(6) != 0) {
                return true; // ready, hung up or in error: the read/write call tells which
            }
        }
    }

    private synchronized void enter() throws ClosedChannelException {
        if (closing) {
            throw new ClosedChannelException();
        }
        inFlight++;
    }

    private void leave() throws ErrnoException {
        boolean last;
        synchronized (this) {
            inFlight--;
            last = closing && inFlight == 0 && !released;
            if (last) {
                released = true;
            }
        }
        if (last) {
            releaseFds();
        }
    }

    @Override
    public synchronized boolean isOpen() {
        return !closing;
    }

    /** Wakes blocked calls and closes the descriptor once none is inside a syscall. Idempotent. */
    @Override
    public void close() throws IOException {
        end(false);
    }

    /** Like {@link #close()} but leaves the descriptor open for another owner; returns its number. */
    public int release() throws IOException {
        end(true);
        return fd.fd();
    }

    private void end(boolean keep) throws IOException {
        boolean now;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            keepFd = keep;
            now = inFlight == 0;
            if (now) {
                released = true;
            }
        }
        Memory one = new Memory(8);
        one.setLong(0, 1);
        try {
            LIBC.write(wake.fd(), one, 8);
        } catch (LastErrorException e) {
            // EAGAIN: the counter is already non-zero, which wakes the pollers just the same
        }
        if (now) {
            releaseFds();
        }
    }

    private void releaseFds() throws ErrnoException {
        boolean keep;
        synchronized (this) {
            keep = keepFd;
        }
        try {
            wake.close();
        } finally {
            if (!keep) {
                fd.close();
            }
        }
    }
}
