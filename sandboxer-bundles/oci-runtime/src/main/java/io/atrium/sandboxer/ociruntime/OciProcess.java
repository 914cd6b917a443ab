package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskStatus;
import java.nio.channels.FileChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a container's init and an exec'd process have in common: a pid watched by the reaper, an exit
 * future, the readers copying its output FIFOs, and the write end of its stdin FIFO.
 *
 * <p>State diagram: {@code CREATED -start-> RUNNING <-pause/resume-> PAUSED}; every state {@code -exit-> STOPPED}.
 */
public abstract class OciProcess {
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private final List<FifoReader> readers = new ArrayList<>();
    private TaskStatus status = TaskStatus.CREATED;
    private int pid;
    private ExitStatus exit;
    private FileChannel stdin;
    private CriLogWriter log;

    public abstract String containerId();

    /** Empty for the container's init. */
    public abstract String execId();

    public synchronized TaskStatus status() {
        return status;
    }

    public synchronized int pid() {
        return pid;
    }

    public synchronized ExitStatus exit() {
        return exit;
    }

    public synchronized void created(int pid) {
        this.pid = pid;
    }

    /** Marks it running unless it already exited; false if it had. */
    public synchronized boolean started() {
        if (status == TaskStatus.STOPPED) {
            return false;
        }
        status = TaskStatus.RUNNING;
        return true;
    }

    public synchronized void paused(boolean paused) {
        if (status != TaskStatus.STOPPED) {
            status = paused ? TaskStatus.PAUSED : TaskStatus.RUNNING;
        }
    }

    /**
     * Records the exit once; later calls are ignored. Returns false if it was already recorded. Waiters
     * are released by {@link #releaseWaiters()}, after the exit was persisted and published.
     */
    public synchronized boolean exited(ExitStatus status) {
        if (this.status == TaskStatus.STOPPED && exit != null) {
            return false;
        }
        this.status = TaskStatus.STOPPED;
        this.exit = status;
        return true;
    }

    public void releaseWaiters() {
        exited.complete(exit());
    }

    /** Restores state read back from disk. */
    public synchronized void restore(TaskStatus status, int pid, ExitStatus exit) {
        this.status = status;
        this.pid = pid;
        this.exit = exit;
        if (exit != null) {
            exited.complete(exit);
        }
    }

    public CompletableFuture<ExitStatus> exitFuture() {
        return exited;
    }

    public synchronized TaskInfo info() {
        return new TaskInfo(containerId(), execId(), pid, status, exit);
    }

    public synchronized void addReader(FifoReader r) {
        readers.add(r);
    }

    public synchronized void log(CriLogWriter log) {
        this.log = log;
    }

    public synchronized CriLogWriter log() {
        return log;
    }

    /** Reopens the CRI log file (kubelet's ReopenContainerLog, after it rotated the file). */
    public void reopenLog() throws IOException {
        CriLogWriter l = log();
        if (l != null) {
            l.reopen();
        }
    }

    /** Closes the CRI log file; output read later is dropped. */
    public void closeLog() {
        CriLogWriter l;
        synchronized (this) {
            l = log;
            log = null;
        }
        if (l != null) {
            try {
                l.close();
            } catch (IOException e) {
                // closed as far as we are concerned
            }
        }
    }

    public synchronized void stdin(FileChannel writer) {
        this.stdin = writer;
    }

    public synchronized FileChannel stdin() {
        return stdin;
    }

    /** Waits (bounded) for the output streams to end, so every line is written before the exit is reported. */
    public void drainOutput(Duration timeout) {
        List<FifoReader> rs;
        synchronized (this) {
            rs = List.copyOf(readers);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (FifoReader r : rs) {
            r.awaitEnd(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /** Stops reading output (leaving the rest in the FIFOs) and closes stdin. */
    public void detachStreams() {
        List<FifoReader> rs;
        FileChannel in;
        synchronized (this) {
            rs = List.copyOf(readers);
            readers.clear();
            in = stdin;
            stdin = null;
        }
        rs.forEach(FifoReader::stop);
        closeQuietly(in);
    }

    /** Closes stdin so the process reads end-of-file. */
    public void closeStdin() {
        FileChannel in;
        synchronized (this) {
            in = stdin;
            stdin = null;
        }
        closeQuietly(in);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing left to do with it
            }
        }
    }
}
