package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What a container's init and an exec'd process have in common: a pid watched by the reaper, an exit
 * future, its CRI log and its live streams ({@link ProcessIo}).
 *
 * <p>State diagram: {@code CREATED -start-> RUNNING <-pause/resume-> PAUSED}; every state {@code -exit-> STOPPED}.
 */
public abstract class OciProcess {
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private final ProcessIo io = new ProcessIo();
    private TaskStatus status = TaskStatus.CREATED;
    private int pid;
    private ExitStatus exit;
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

    /** The process's live streams. */
    public ProcessIo io() {
        return io;
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

    /** Waits (bounded) for the output streams to end, so every line is written before the exit is reported. */
    public void drainOutput(Duration timeout) {
        io.drain(timeout);
    }

    /** Stops its streams and closes stdin and the terminal (the process is gone, or is being deleted). */
    public void detachStreams() {
        io.detach(false);
    }

    /** Stops its streams but leaves stdin and the terminal open for the next owner in this JVM (bundle swap). */
    public void handOverStreams() {
        io.detach(true);
    }

    /** Closes stdin so the process reads end-of-file. */
    public void closeStdin() {
        io.closeStdin();
    }
}
