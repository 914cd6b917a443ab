package io.atrium.bindings.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.ChildState;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.libc.PidFd;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.libc.Wait;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Supervises container processes without a shim.
 *
 * <p>{@link #start()} makes the JVM a child subreaper (so orphaned container processes are
 * reparented here, not to init) and starts one thread that polls a pidfd per watched process. When
 * one becomes readable the thread collects that process's status with {@code waitid(P_PIDFD)} on
 * exactly that pidfd. It never waits for "any child": java.lang.Process keeps reaping its own
 * children undisturbed.
 *
 * <p>Being a subreaper has one cost the owner must bear: any orphaned descendant of the JVM
 * (including grandchildren of java.lang.Process children) becomes the JVM's child and stays a
 * zombie until someone watches or adopts it.
 */
public final class ProcessReaper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ProcessReaper.class.getName());
    private static final int POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }

    private final Syscalls sys;
    private final LibC libc = LibC.INSTANCE;
    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();
    private final List<ExitListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean running;
    private NativeFd wakeFd;
    private Thread thread;
    private boolean wasSubreaper;

    private record Watch(PidFd pidfd, boolean adopted, CompletableFuture<ExitEvent> done) {
    }

    public ProcessReaper(Syscalls sys) {
        this.sys = sys;
    }

    /** Becomes the child subreaper and starts the watcher thread. */
    public synchronized void start() throws ErrnoException {
        if (running) {
            return;
        }
        wasSubreaper = sys.isChildSubreaper();
        sys.setChildSubreaper(true);
        int efd;
        try {
            efd = libc.eventfd(0, FileFlags.EFD_CLOEXEC | FileFlags.EFD_NONBLOCK);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "eventfd", 0, "EFD_CLOEXEC|EFD_NONBLOCK");
        }
        wakeFd = new NativeFd(efd, "eventfd:reaper");
        running = true;
        thread = new Thread(this::loop, "atrium-reaper");
        thread.setDaemon(true);
        thread.start();
    }

    public boolean isRunning() {
        return running;
    }

    public void addListener(ExitListener l) {
        listeners.add(l);
    }

    public void removeListener(ExitListener l) {
        listeners.remove(l);
    }

    /**
     * Watches a child of this JVM (a process it started, or one reparented to it). Its exit status
     * is collected and the returned future completes with it.
     *
     * @throws ErrnoException ECHILD if {@code pid} is not a child of this JVM, ESRCH if no such process
     */
    public CompletableFuture<ExitEvent> watch(int pid) throws IOException {
        ProcStat st = ProcStat.read(pid).orElseThrow(() -> new ErrnoException(Errno.ESRCH.number(), "watch", pid));
        if (st.ppid() != sys.getpid()) {
            throw new ErrnoException(Errno.ECHILD.number(), "watch(parent is " + st.ppid() + ", use adopt)", pid);
        }
        return register(pid, false);
    }

    /**
     * Watches any process, typically one started before the JVM restarted. Its exit is observed
     * through its pidfd; the status is known only if it turns out to be our child, else
     * {@link ExitStatus.Unknown}.
     */
    public CompletableFuture<ExitEvent> adopt(int pid) throws IOException {
        return register(pid, true);
    }

    private CompletableFuture<ExitEvent> register(int pid, boolean adopted) throws ErrnoException {
        if (!running) {
            throw new IllegalStateException("reaper not started");
        }
        Watch existing = watches.get(pid);
        if (existing != null) {
            return existing.done();
        }
        PidFd fd = sys.pidfdOpen(pid);
        Watch w = new Watch(fd, adopted, new CompletableFuture<>());
        Watch raced = watches.putIfAbsent(pid, w);
        if (raced != null) {
            fd.close();
            return raced.done();
        }
        wake();
        return w.done();
    }

    /** The pids being watched. */
    public Set<Integer> watched() {
        return Set.copyOf(watches.keySet());
    }

    /** Signals a watched process through its pidfd, so a reused pid can never be hit. */
    public void signal(int pid, int signal) throws ErrnoException {
        Watch w = watches.get(pid);
        if (w == null) {
            throw new ErrnoException(Errno.ESRCH.number(), "signal(not watched)", pid, signal);
        }
        sys.pidfdSendSignal(w.pidfd(), signal);
    }

    /** Sends SIGKILL to a watched process. */
    public void kill(int pid) throws ErrnoException {
        signal(pid, Signals.SIGKILL);
    }

    private void wake() {
        Memory one = new Memory(8);
        one.setLong(0, 1);
        try {
            libc.write(wakeFd.fd(), one, 8);
        } catch (LastErrorException e) {
            // EAGAIN: the counter is already non-zero, the loop will wake anyway
        }
    }

    private void loop() {
        Memory drain = new Memory(8);
        boolean retry = false;
        while (running) {
            List<Map.Entry<Integer, Watch>> snapshot = List.copyOf(watches.entrySet());
            int n = snapshot.size() + 1;
            Memory fds = new Memory((long) n * POLLFD_SIZE);
            fds.clear();
            fds.setInt(0, wakeFd.fd());
            fds.setShort(4, FileFlags.POLLIN);
            for (int i = 0; i < snapshot.size(); i++) {
                fds.setInt((long) (i + 1) * POLLFD_SIZE, snapshot.get(i).getValue().pidfd().fd());
                fds.setShort((long) (i + 1) * POLLFD_SIZE + 4, FileFlags.POLLIN);
            }
            try {
                libc.poll(fds, n, retry ? 10 : -1);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number()) {
                    LOG.log(Level.SEVERE, "poll failed in reaper", e);
                }
                continue;
            }
            retry = false;
            if (fds.getShort(6) != 0) {
                try {
                    libc.read(wakeFd.fd(), drain, 8);
                } catch (LastErrorException ignored) {
                    // EAGAIN: already drained
                }
            }
            for (int i = 0; i < snapshot.size(); i++) {
                short revents = fds.getShort((long) (i + 1) * POLLFD_SIZE + 6);
                if (revents != 0) {
                    retry |= !collect(snapshot.get(i).getKey(), snapshot.get(i).getValue());
                }
            }
        }
    }

    /** Collects one exited process; false if it is not yet waitable. */
    private boolean collect(int pid, Watch w) {
        Instant when = Instant.now();
        ExitStatus status;
        try {
            Optional<ChildState> st = sys.waitid(Wait.P_PIDFD, w.pidfd().fd(), Wait.WEXITED | Wait.WNOHANG);
            if (st.isEmpty()) {
                return false;
            }
            ChildState c = st.get();
            status = c.exited() ? new ExitStatus.Exited(c.status())
                    : new ExitStatus.Signaled(c.status(), c.code() == Wait.CLD_DUMPED);
        } catch (ErrnoException e) {
            if (!e.is(Errno.ECHILD)) {
                LOG.log(Level.WARNING, "waitid for pid " + pid + " failed", e);
            }
            status = new ExitStatus.Unknown(e.is(Errno.ECHILD)
                    ? "not a child of this JVM; its parent collected the status"
                    : "waitid failed: " + e.getMessage());
        }
        watches.remove(pid);
        try {
            w.pidfd().close();
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "closing pidfd of " + pid, e);
        }
        ExitEvent ev = new ExitEvent(pid, status, when, w.adopted());
        for (ExitListener l : listeners) {
            try {
                l.exited(ev);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "exit listener failed for pid " + pid, e);
            }
        }
        w.done().complete(ev);
        return true;
    }

    /** Stops the thread, closes every pidfd (the processes keep running) and restores the subreaper flag. */
    @Override
    public synchronized void close() throws ErrnoException {
        if (!running) {
            return;
        }
        running = false;
        wake();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Watch w : watches.values()) {
            w.pidfd().close();
            w.done().cancel(false);
        }
        watches.clear();
        wakeFd.close();
        if (!wasSubreaper) {
            sys.setChildSubreaper(false);
        }
    }
}
