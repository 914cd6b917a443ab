package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one pod whose containers an OCI runtime CLI runs: the bookkeeping every such
 * sandboxer shares (states, execs, streams, logs, exits and their events). The runtime's sandboxer
 * supplies what differs: how a container is created, started, signalled, measured and destroyed.
 *
 * @param <C> the sandboxer's container record
 * @param <E> the sandboxer's exec record
 */
public abstract class OciPodTasks<C extends OciContainer<E>, E extends OciExec> implements TaskService {
    private static final Logger LOG = Logger.getLogger(OciPodTasks.class.getName());
    /** How long an exit waits for the process's output to drain before it is reported. */
    protected static final Duration DRAIN = Duration.ofSeconds(2);

    private final OciPod<C> pod;
    private final OciRuntime runtime;
    private final OciSpecAdjuster specs;
    private final Clock clock;

    protected OciPodTasks(OciPod<C> pod, OciRuntime runtime, OciSpecAdjuster specs, Clock clock) {
        this.pod = pod;
        this.runtime = runtime;
        this.specs = specs;
        this.clock = clock;
    }

    /** Creates the container (not yet started) and records it in the pod. */
    protected abstract C createContainer(CreateTask request);

    /** Runs the runtime's {@code start} for a CREATED container. */
    protected abstract void startContainer(C c);

    /** Called once a container was marked started, before the pod is persisted. */
    protected void containerStarted(C c) {
    }

    /** Starts a CREATED exec; returns its host pid. */
    protected abstract long startExec(C c, E e);

    /** Removes everything the container left: runtime state, rootfs, bundle. Its processes must be gone. */
    protected abstract void destroy(C c);

    /** A new exec record (not yet started). */
    protected abstract E newExec(String containerId, String execId, String processJson, Stdio stdio, Path dir);

    /** The pod these tasks run in. */
    public OciPod<C> taskPod() {
        return pod;
    }

    protected Clock clock() {
        return clock;
    }

    @Override
    public TaskInfo create(CreateTask request) {
        if (pod.state() != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "pod " + pod.id() + " is " + pod.state()
                    + ", containers can only be created in a READY pod");
        }
        return createContainer(request).info();
    }

    @Override
    public long start(String containerId, String execId) {
        C c = pod.container(containerId);
        if (isExec(execId)) {
            return startExec(c, c.exec(execId));
        }
        if (c.status() != TaskStatus.CREATED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", only a CREATED container can start");
        }
        startContainer(c);
        c.startedAt(clock.instant());
        c.started();
        containerStarted(c);
        pod.persist();
        return c.pid();
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        C c = pod.container(containerId);
        if (isExec(execId)) {
            E e = c.exec(execId);
            if (e.status() != TaskStatus.STOPPED && e.status() != TaskStatus.CREATED) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "exec " + execId + " is still running");
            }
            c.execs().remove(execId);
            e.detachStreams();
            e.closeLog();
            Trees.deleteTree(e.dir());
            return e.exit() != null ? e.exit() : ExitStatus.of(0, clock.instant());
        }
        TaskStatus s = c.status();
        if (s == TaskStatus.RUNNING || s == TaskStatus.PAUSED || s == TaskStatus.PAUSING) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + s
                    + "; kill it before deleting it");
        }
        destroy(c);
        pod.containers().remove(containerId);
        pod.persist();
        return c.exit() != null ? c.exit() : ExitStatus.unknown(clock.instant(), "deleted before it ran");
    }

    @Override
    public void pause(String containerId) {
        C c = running(containerId);
        runtime.pause(containerId);
        c.paused(true);
        pod.persist();
    }

    @Override
    public void resume(String containerId) {
        C c = pod.container(containerId);
        if (c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is not paused");
        }
        runtime.resume(containerId);
        c.paused(false);
        pod.persist();
    }

    @Override
    public void exec(ExecProcess request) {
        C c = running(request.containerId());
        ProcessStreams.check(request.stdio(), "exec " + request.execId());
        ObjectNode process = specs.parse(request.processSpecJson(), "exec " + request.execId());
        specs.adjustProcess(process, "exec " + request.execId());
        E e = newExec(c.containerId(), request.execId(), process.toString(), request.stdio(),
                c.bundle().resolve("execs").resolve(request.execId()));
        if (c.execs().putIfAbsent(request.execId(), e) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "exec " + request.execId() + " exists in container "
                    + c.containerId());
        }
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        OciProcess p = process(containerId, execId);
        if (width < 0 || height < 0 || width > 0xFFFF || height > 0xFFFF) {
            throw SandboxException.invalid("terminal size out of range: " + width + "x" + height);
        }
        if (p.status() == TaskStatus.STOPPED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, describe(containerId, execId) + " has exited");
        }
        if (!p.io().terminal()) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, describe(containerId, execId) + " has no terminal");
        }
        try {
            p.io().resize(width, height);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot resize the terminal of " + describe(containerId, execId)
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * CRI Attach: a client gets a copy of the process's later output and feeds its stdin (or terminal),
     * while the CRI log keeps receiving everything. Several clients may attach; closing the handle
     * detaches only this client (with stdinOnce, it also closes the process's stdin).
     */
    @Override
    public AutoCloseable attach(String containerId, String execId, Stdio streams) {
        OciProcess p = process(containerId, execId);
        Stdio client = streams == null ? Stdio.NONE : streams;
        ProcessStreams.check(client, "attach to " + describe(containerId, execId));
        if (p.status() != TaskStatus.RUNNING && p.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, describe(containerId, execId) + " is " + p.status()
                    + "; only a running process can be attached to");
        }
        if (client.stdin() instanceof Stdio.Endpoint.Fifo || client.stdout() instanceof Stdio.Endpoint.Fifo
                || client.stdout() instanceof Stdio.Endpoint.CriLog || client.stderr() instanceof Stdio.Endpoint.CriLog) {
            throw SandboxException.invalid("attach takes in-process channels only");
        }
        return p.io().attach(client, "atrium-attach-" + shortId(containerId) + (isExec(execId) ? "-" + execId : ""));
    }

    @Override
    public void closeIO(String containerId, String execId) {
        process(containerId, execId).closeStdin();
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        return process(containerId, execId).exitFuture().minimalCompletionStage();
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        return process(containerId, execId).info();
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        return pod.subscribe(listener);
    }

    /** Kubelet's ReopenContainerLog: closes and reopens the container's CRI log file. */
    @Override
    public void reopenLog(String containerId) {
        C c = running(containerId);
        try {
            c.reopenLog();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot reopen log of " + containerId + ": " + e.getMessage(), e);
        }
    }

    /** Deletes every container (runtime state, rootfs, bundle); their processes must be gone. */
    public void deleteAll() {
        for (C c : List.copyOf(pod.containers().values())) {
            destroy(c);
            pod.containers().remove(c.containerId());
        }
    }

    /**
     * Records a process's exit once (its output already drained): persists a container's, publishes the
     * OOM and exit events, then releases whoever waits for it.
     */
    protected void reportExit(OciProcess p, ExitStatus status, boolean oom) {
        if (!p.exited(status)) {
            return;
        }
        try {
            if (!isExec(p.execId())) {
                pod.persist();
            }
            if (oom) {
                pod.publish(new TaskEvent.OutOfMemory(p.containerId()));
            }
            pod.publish(new TaskEvent.Exited(p.containerId(), p.execId(), p.pid(), status));
        } finally {
            p.releaseWaiters(); // last: whoever waited sees the exit persisted and published
        }
    }

    /** Signals a container's init, logging instead of throwing (for stopping a whole pod). */
    protected void signalQuietly(C c, int signal, boolean all) {
        try {
            kill(c.containerId(), "", signal, all);
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "signal " + signal + " to " + c.containerId(), e);
        }
    }

    /** Waits until every one of {@code cs} exited or {@code timeout} passed; the caller checks which did. */
    protected static void awaitExits(List<? extends OciProcess> cs, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (OciProcess c : cs) {
            try {
                c.exitFuture().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // checked by the caller
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A container that is running or paused; FAILED_PRECONDITION otherwise. */
    protected C running(String containerId) {
        C c = pod.container(containerId);
        if (c.status() != TaskStatus.RUNNING && c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", not running");
        }
        return c;
    }

    /** The container's init for an empty {@code execId}, else that exec. */
    protected OciProcess process(String containerId, String execId) {
        C c = pod.container(containerId);
        return isExec(execId) ? c.exec(execId) : c;
    }

    public static boolean isExec(String execId) {
        return execId != null && !execId.isEmpty();
    }

    protected static String describe(String containerId, String execId) {
        return isExec(execId) ? "exec " + execId + " of " + containerId : "container " + containerId;
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
