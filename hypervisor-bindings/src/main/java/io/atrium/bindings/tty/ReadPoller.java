package io.atrium.bindings.tty;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One thread reading many non-blocking descriptors (the output FIFOs of every container of a
 * sandboxer) with poll(2), instead of a thread blocked in read(2) per stream. Handlers run on that
 * thread, so they must not block (append to a file, hand bytes to a queue).
 *
 * <p>The thread exists only while something is registered: it ends, closing its eventfd, when the
 * last registration ends, and a later {@link #register} starts a new one. A descriptor is closed by
 * the poller when its registration ends: at end-of-file (read returns 0 once every writer of a FIFO
 * left — Linux reports a FIFO hung up only after a writer came and went), on a read error, or on
 * {@link Registration#cancel()}.
 */
public final class ReadPoller {
    private static final Logger LOG = Logger.getLogger(ReadPoller.class.getName());
    private static final LibC LIBC = LibC.INSTANCE;
    private static final int CHUNK = 32 * 1024;

    /** Called on the poller thread. */
    public interface Handler {
        /** {@code length} bytes arrived in {@code data} (valid only during the call). */
        void data(byte[] data, int length);

        /** The registration ended (end-of-file, error or cancel); no more calls follow. */
        void end();
    }

    /** One registered descriptor. */
    public final class Registration {
        private final NativeFd fd;
        private final Handler handler;
        private final CompletableFuture<Void> ended = new CompletableFuture<>();
        private boolean cancelled; // guarded by the poller

        private Registration(NativeFd fd, Handler handler) {
            this.fd = fd;
            this.handler = handler;
        }

        /** Completes after {@link Handler#end()} returned. */
        public CompletableFuture<Void> ended() {
            return ended;
        }

        /** Stops reading (unread data stays in the FIFO), closes the descriptor and calls end. */
        public CompletableFuture<Void> cancel() {
            synchronized (ReadPoller.this) {
                if (entries.get(fd.fd()) == this) {
                    cancelled = true;
                    wake();
                }
            }
            return ended;
        }
    }

    private final String threadName;
    private final Map<Integer, Registration> entries = new LinkedHashMap<>(); // guarded by this
    private Thread thread; // guarded by this; null while idle
    private NativeFd wakeFd; // guarded by this; lives with the thread

    public ReadPoller(String threadName) {
        this.threadName = threadName;
    }

    /** Opens a FIFO for reading without blocking (O_RDONLY|O_NONBLOCK|O_CLOEXEC), even before any writer. */
    public static NativeFd openFifo(Path fifo) throws ErrnoException {
        try {
            return new NativeFd(LIBC.open(fifo.toString(), FileFlags.O_RDONLY | FileFlags.O_NONBLOCK
                    | FileFlags.O_CLOEXEC, 0), "fifo-reader:" + fifo);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "open", fifo, "O_RDONLY|O_NONBLOCK|O_CLOEXEC");
        }
    }

    /** Reads {@code fd} (non-blocking, now owned by the poller) into {@code handler} until it ends. */
    public synchronized Registration register(NativeFd fd, Handler handler) throws ErrnoException {
        Registration r = new Registration(fd, handler);
        if (thread == null) {
            try {
                wakeFd = new NativeFd(LIBC.eventfd(0, FileFlags.EFD_CLOEXEC | FileFlags.EFD_NONBLOCK), "eventfd:" + threadName);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "eventfd", 0, "EFD_CLOEXEC|EFD_NONBLOCK");
            }
            NativeFd wake = wakeFd;
            thread = new Thread(() -> run(wake), threadName);
            thread.setDaemon(true);
            entries.put(fd.fd(), r);
            thread.start();
        } else {
            entries.put(fd.fd(), r);
            wake();
        }
        return r;
    }

    /** Registrations now. */
    public synchronized int size() {
        return entries.size();
    }

    private void wake() {
        Memory one = new Memory(8);
        one.setLong(0, 1);
        try {
            LIBC.write(wakeFd.fd(), one, 8);
        } catch (LastErrorException e) {
            // EAGAIN: the counter is non-zero already, which wakes the poll just the same
        }
    }

    private void run(NativeFd wake) {
        Memory buffer = new Memory(CHUNK);
        byte[] bytes = new byte[CHUNK];
        Memory eight = new Memory(8);
        while (true) {
            List<Registration> cancelled = new ArrayList<>();
            List<Registration> live;
            synchronized (this) {
                for (Registration r : List.copyOf(entries.values())) {
                    if (r.cancelled) {
                        entries.remove(r.fd.fd());
                        cancelled.add(r);
                    }
                }
                live = List.copyOf(entries.values());
                if (live.isEmpty() && cancelled.isEmpty()) {
                    thread = null; // idle: a later register starts a new thread
                    wakeFd = null;
                    closeQuietly(wake);
                    return;
                }
            }
            cancelled.forEach(this::finish);
            if (live.isEmpty()) {
                continue;
            }
            int n = live.size() + 1;
            Memory pfd = new Memory(8L * n);
            pfd.clear();
            pfd.setInt(0, wake.fd());
            pfd.setShort(4, FileFlags.POLLIN);
            for (int i = 0; i < live.size(); i++) {
                pfd.setInt(8L * (i + 1), live.get(i).fd.fd());
                pfd.setShort(8L * (i + 1) + 4, FileFlags.POLLIN);
            }
            try {
                LIBC.poll(pfd, n, -1);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number()) {
                    LOG.log(Level.SEVERE, "poll failed in " + threadName, e);
                }
                continue;
            }
            if (pfd.getShort(6) != 0) {
                try {
                    LIBC.read(wake.fd(), eight, 8);
                } catch (LastErrorException e) {
                    // drained by an earlier read
                }
            }
            for (int i = 0; i < live.size(); i++) {
                if (pfd.getShort(8L * (i + 1) + 6) == 0) {
                    continue;
                }
                Registration r = live.get(i);
                long got;
                try {
                    got = LIBC.read(r.fd.fd(), buffer, CHUNK);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Errno.EAGAIN.number() || e.getErrorCode() == Errno.EINTR.number()) {
                        continue;
                    }
                    LOG.log(Level.WARNING, "reading fd " + r.fd.fd() + " failed", e);
                    got = 0;
                }
                if (got > 0) {
                    buffer.read(0, bytes, 0, (int) got);
                    try {
                        r.handler.data(bytes, (int) got);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "output handler failed", e);
                    }
                } else {
                    synchronized (this) {
                        entries.remove(r.fd.fd());
                    }
                    finish(r);
                }
            }
        }
    }

    private void finish(Registration r) {
        closeQuietly(r.fd);
        try {
            r.handler.end();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "output handler failed at its end", e);
        } finally {
            r.ended.complete(null);
        }
    }

    private static void closeQuietly(NativeFd fd) {
        try {
            fd.close();
        } catch (ErrnoException e) {
            // nothing more to do with it
        }
    }
}
