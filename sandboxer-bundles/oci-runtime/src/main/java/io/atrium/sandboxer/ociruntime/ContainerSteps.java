package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.process.ProcStat;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The steps of a container's and an exec's life that are the same whichever OCI runtime runs them:
 * checking a create request, recording the container before anything is mounted or run, starting an
 * exec exactly once, and undoing each of them on every failure path. The runtime's part is a callback.
 */
public final class ContainerSteps {
    private static final Logger LOG = Logger.getLogger(ContainerSteps.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    /** The runtime's part of creating a container whose rootfs is mounted and bundle directory exists. */
    @FunctionalInterface
    public interface Launch<C> {
        void launch(C container) throws IOException;
    }

    /** The runtime's part of starting an exec; returns the host pid to watch. */
    @FunctionalInterface
    public interface ExecLaunch<E> {
        int launch(E exec);
    }

    private ContainerSteps() {
    }

    /**
     * Checks a create request (container id, stdio) and returns its OCI spec adjusted for the pod, with its
     * rootfs at {@code <bundle>/rootfs} when the request brings one.
     */
    public static ObjectNode containerSpec(OciSpecAdjuster specs, CreateTask req, OciSpecAdjuster.PodView pod,
            Path bundle) {
        String id = req.containerId();
        if (id == null || !ID.matcher(id).matches()) {
            throw SandboxException.invalid("container id must match " + ID + ": " + id);
        }
        ProcessStreams.check(req.stdio(), "container " + id);
        ObjectNode spec = specs.parse(req.ociSpecJson(), "container " + id);
        specs.adjustContainer(spec, id, pod, req.rootfs().isEmpty() ? null : bundle.resolve("rootfs"));
        return spec;
    }

    /**
     * Records {@code c} in the pod (ALREADY_EXISTS if its id is taken), persisted before anything is mounted or
     * run so that a crash leaves it findable for clean-up; mounts its rootfs and launches it. On any failure it
     * is destroyed and forgotten again.
     */
    public static <C extends OciContainer<?>> C create(OciPod<C> pod, C c, CreateTask req, RootfsMounts rootfs,
            Launch<C> launch, Consumer<C> destroy) {
        String id = c.containerId();
        if (pod.containers().putIfAbsent(id, c) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "container " + id + " exists in pod " + pod.id());
        }
        boolean created = false;
        try {
            Files.createDirectories(c.bundle());
            pod.persist();
            if (!req.rootfs().isEmpty()) {
                c.rootfsMounted(true);
                rootfs.mount(id, req.rootfs(), c.rootfs());
            }
            launch.launch(c);
            pod.persist();
            created = true;
            return c;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot create container " + id + ": " + e.getMessage(), e);
        } finally {
            if (!created) {
                try {
                    destroy.accept(c);
                } catch (RuntimeException cleanup) {
                    LOG.log(Level.WARNING, "cleanup after failed create of " + id + " was incomplete", cleanup);
                }
                pod.containers().remove(id, c);
                pod.persist();
            }
        }
    }

    /**
     * Starts a CREATED exec once (FAILED_PRECONDITION on a second start), hands its pid to {@code watch} and
     * persists the pod. On failure its streams, log, record and directory go, after {@code failed} ran.
     */
    public static <E extends OciExec> long startExec(OciPod<?> pod, OciContainer<E> c, E e, ExecLaunch<E> launch,
            ObjIntConsumer<E> watch, Consumer<E> failed) {
        synchronized (e) {
            if (e.status() != TaskStatus.CREATED || e.pid() != 0) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "exec " + e.execId() + " was started already");
            }
            e.created(-1); // claims the start; the real pid follows
        }
        boolean started = false;
        try {
            int pid = launch.launch(e);
            e.created(pid);
            e.started();
            watch.accept(e, pid);
            pod.persist();
            started = true;
            return pid;
        } finally {
            if (!started) {
                e.detachStreams();
                e.closeLog();
                failed.accept(e);
                c.execs().remove(e.execId(), e);
                Trees.deleteTree(e.dir());
            }
        }
    }

    /** Waits up to 10 s for a container the runtime was told to delete to report its exit. */
    public static void awaitExitAfterDelete(OciProcess c, String runtime) {
        try {
            c.exitFuture().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warning("container " + c.containerId() + " did not report its exit within 10s of " + runtime + " delete");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A live container's status from the runtime's {@code state} word. */
    public static TaskStatus liveStatus(String runtimeStatus) {
        return switch (runtimeStatus) {
            case "created" -> TaskStatus.CREATED;
            case "paused", "pausing" -> TaskStatus.PAUSED;
            default -> TaskStatus.RUNNING;
        };
    }

    /** Reopens a re-adopted container's CRI log for appending; logs and goes on when it cannot. */
    public static void reopenLog(OciContainer<?> c, Clock clock) {
        try {
            c.log(c.logPath() == null ? null : new CriLogWriter(c.logPath(), clock));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot reopen log " + c.logPath() + " of " + c.containerId(), e);
        }
    }

    /** Whether {@code pid} is a live child of this JVM (reparented to it as subreaper, or started by it). */
    public static boolean ourChild(int pid) {
        return procStat(pid).map(p -> p.ppid() == ProcessHandle.current().pid()).orElse(false);
    }

    public static Optional<ProcStat> procStat(int pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            return ProcStat.read(pid);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code atrium-<runtime>-<first 12 of the container id>[-<exec id>]}. */
    public static String threadName(String runtime, String containerId, String execId) {
        String shortId = containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
        return "atrium-" + runtime + "-" + shortId + (execId.isEmpty() ? "" : "-" + execId);
    }
}
