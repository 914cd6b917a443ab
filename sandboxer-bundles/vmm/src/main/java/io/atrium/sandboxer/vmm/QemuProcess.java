package io.atrium.sandboxer.vmm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.bindings.process.ProcStat;
import io.atrium.sandboxer.vmm.qmp.QmpClient;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running QEMU, identified by pid and kernel start time so that a recycled pid is never mistaken
 * for it. Started by this JVM ({@link #start}) or re-adopted by pid after a bundle update or node
 * restart ({@link #adopt}); either way its exit is observed through {@link ProcessHandle#onExit()},
 * and a QEMU this JVM started is reaped by the JDK's own process reaper (never waitpid(-1)).
 */
final class QemuProcess {
    private final long pid;
    private final long startTime;
    private final ProcessHandle handle;
    private final CompletableFuture<Void> exited;

    private QemuProcess(long pid, long startTime, ProcessHandle handle, CompletableFuture<Void> exited) {
        this.pid = pid;
        this.startTime = startTime;
        this.handle = handle;
        this.exited = exited;
    }

    /** Starts QEMU with stdout/stderr into {@code log}, stdin from /dev/null. */
    static QemuProcess start(List<String> command, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        Process p = pb.start();
        long start = ProcStat.read((int) p.pid()).map(ProcStat::startTime).orElse(0L);
        return new QemuProcess(p.pid(), start, p.toHandle(), p.onExit().thenApply(x -> null));
    }

    /** The QEMU recorded as {@code pid} with {@code startTime}, if that very process still runs. */
    static Optional<QemuProcess> adopt(long pid, long startTime) {
        try {
            Optional<ProcStat> st = ProcStat.read((int) pid);
            if (st.isEmpty() || st.get().isZombie() || st.get().startTime() != startTime) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).map(h -> new QemuProcess(pid, startTime, h, h.onExit().thenApply(x -> null)));
    }

    long pid() {
        return pid;
    }

    long startTime() {
        return startTime;
    }

    boolean alive() {
        return !exited.isDone() && handle.isAlive();
    }

    CompletableFuture<Void> exited() {
        return exited;
    }

    /** Waits for QEMU to create its QMP socket and connects to it; fails early if QEMU exits first. */
    QmpClient connectQmp(Path socket, ObjectMapper json, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!alive()) {
                throw new IOException("QEMU (pid " + pid + ") exited before opening its QMP socket");
            }
            if (Files.exists(socket)) {
                try {
                    return QmpClient.connect(socket, json, Duration.ofSeconds(10));
                } catch (IOException e) {
                    last = e;
                }
            }
            sleep(20);
        }
        throw new IOException("QEMU (pid " + pid + ") opened no QMP socket within " + timeout.toMillis() + " ms"
                + (last == null ? "" : ": " + last.getMessage()));
    }

    /** SIGKILL, then waits (bounded) until it is gone, so no QEMU outlives a failed or removed pod. */
    void kill(Duration wait) {
        if (alive()) {
            handle.destroyForcibly();
        }
        awaitExit(wait);
    }

    /** Waits up to {@code wait} for the exit; true when QEMU is gone. */
    boolean awaitExit(Duration wait) {
        try {
            exited.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !handle.isAlive();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
