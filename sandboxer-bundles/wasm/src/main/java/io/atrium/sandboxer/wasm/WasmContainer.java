package io.atrium.sandboxer.wasm;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One Wasm container: its module run on a platform thread of its own (a busy module never holds up
 * another container, and thread CPU time is the container's CPU accounting).
 */
final class WasmContainer {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private final String id;
    private final Path dir;
    private final ModuleRun run;
    private final ContainerIo io;
    private final Clock clock;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final AtomicInteger killedBy = new AtomicInteger();
    private volatile String killReason;
    private ContainerState state;
    private Thread thread;
    private volatile long finalCpuNanos;

    /** A container ready to start ({@code run} and {@code io} set) or one known only from disk (both null). */
    WasmContainer(String id, Path dir, ModuleRun run, ContainerIo io, ContainerState state, Clock clock) {
        this.id = id;
        this.dir = dir;
        this.run = run;
        this.io = io;
        this.state = state;
        this.clock = clock;
        if (state instanceof ContainerState.Exited e) {
            exit.complete(e.exit());
        }
    }

    String id() {
        return id;
    }

    Path dir() {
        return dir;
    }

    synchronized ContainerState state() {
        return state;
    }

    CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /**
     * Starts the module on a new thread; {@code onExit} runs on that thread once the state is Exited.
     */
    void start(long stackBytes, Consumer<WasmContainer> onStarted, Consumer<WasmContainer> onExit) {
        Thread t;
        synchronized (this) {
            if (!state.canStart()) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + id + " is " + state.status()
                        + ", only a created container can start");
            }
            if (run == null) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + id
                        + " was created by an earlier bundle instance and cannot start; create it again");
            }
            ContainerState running = new ContainerState.Running(state.createdAt(), clock.instant());
            t = new Thread(null, () -> body(onExit), "atrium-wasm-" + id, stackBytes);
            t.setDaemon(true);
            state = running;
            thread = t;
        }
        onStarted.accept(this);
        t.start();
    }

    private void body(Consumer<WasmContainer> onExit) {
        ExitStatus status;
        try {
            status = run.run(io.stdin, io.stdout, io.stderr, killedBy::get);
            String reason = killReason;
            if (reason != null && killedBy.get() != 0 && status.signal() == killedBy.get()) {
                status = new ExitStatus(status.code(), status.signal(), status.exitedAt(), reason);
            }
        } catch (RuntimeException | Error e) {
            status = new ExitStatus(255, 0, clock.instant(), "Error");
        } finally {
            finalCpuNanos = CPU.isCurrentThreadCpuTimeSupported() ? CPU.getCurrentThreadCpuTime() : 0;
            io.close();
        }
        synchronized (this) {
            state = new ContainerState.Exited(state.createdAt(), ((ContainerState.Running) state).startedAt(), status);
        }
        try {
            onExit.accept(this);
        } finally {
            exit.complete(status);
        }
    }

    /**
     * Ends the module: a Wasm module cannot handle signals, so every signal ends it at once (the
     * exit code says which signal); {@code reason}, when given, replaces "Error" in the exit status. Returns true when a running module was interrupted.
     */
    boolean kill(int signal, String reason) {
        synchronized (this) {
            if (state instanceof ContainerState.Created c) {
                ExitStatus s = new ExitStatus(128 + signal, signal, clock.instant(), reason == null ? "Error" : reason);
                state = new ContainerState.Exited(c.createdAt(), null, s);
                if (io != null) {
                    io.close();
                }
                exit.complete(s);
                return false;
            }
            if (!(state instanceof ContainerState.Running)) {
                return false;
            }
            if (killedBy.compareAndSet(0, signal)) {
                killReason = reason;
            }
            thread.interrupt();
            return true;
        }
    }

    void reopenLog() throws java.io.IOException {
        if (io != null) {
            io.reopenLogs();
        }
    }

    void closeStdin() {
        if (io != null) {
            io.closeStdin();
        }
    }

    void memoryLimit(long bytes) {
        if (run != null) {
            run.memoryLimit(bytes);
        }
    }

    long memoryBytes() {
        return run == null ? 0 : run.memoryBytes();
    }

    long cpuNanos() {
        Thread t;
        synchronized (this) {
            if (!(state instanceof ContainerState.Running)) {
                return finalCpuNanos;
            }
            t = thread;
        }
        long n = CPU.isThreadCpuTimeSupported() ? CPU.getThreadCpuTime(t.getId()) : 0;
        return n < 0 ? finalCpuNanos : n; // -1 once the thread has ended
    }

    /** Releases the streams of a container that never started. */
    void discard() {
        if (io != null && state() instanceof ContainerState.Created) {
            io.close();
        }
    }
}
