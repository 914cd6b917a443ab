package io.atrium.engine.runtime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waiting for a process to exit. The sandboxer's waitExit future lives in one sandboxer instance;
 * if that instance is swapped out the future may never complete, so the wait also asks for the
 * task's state between slices, which the swap-proof proxy answers from the current instance.
 */
final class Exits {
    private static final long SLICE_MS = 500;

    private Exits() {}

    static Optional<ExitStatus> await(TaskService tasks, String containerId, String execId, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<ExitStatus> future = tasks.waitExit(containerId, execId).toCompletableFuture();
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                return Optional.of(future.get(Math.max(1, Math.min(SLICE_MS, left)), TimeUnit.MILLISECONDS));
            } catch (TimeoutException e) {
                Optional<ExitStatus> seen = stopped(tasks, containerId, execId);
                if (seen.isPresent()) {
                    return seen;
                }
                if (left <= SLICE_MS) {
                    return Optional.empty();
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof SandboxException se && se.reason() == SandboxException.Reason.NOT_FOUND) {
                    return Optional.of(ExitStatus.unknown(java.time.Instant.now(), "Unknown"));
                }
                Optional<ExitStatus> seen = stopped(tasks, containerId, execId);
                if (seen.isPresent()) {
                    return seen;
                }
                future = tasks.waitExit(containerId, execId).toCompletableFuture();
            }
        }
    }

    private static Optional<ExitStatus> stopped(TaskService tasks, String containerId, String execId) {
        TaskInfo info = tasks.state(containerId, execId);
        if (info.status() == TaskStatus.STOPPED) {
            return Optional.of(info.exit() != null ? info.exit() : ExitStatus.unknown(java.time.Instant.now(), "Unknown"));
        }
        return Optional.empty();
    }

    /** The CRI exit code: a signal death with no code becomes 128 + signal, as shells report it. */
    static int code(ExitStatus s) {
        return s.code() == 0 && s.signal() != 0 ? 128 + s.signal() : s.code();
    }
}
