package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.process.ExitEvent;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.ExitStatuses;
import io.atrium.sandboxer.ociruntime.OciProcess;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one gVisor pod, in the node's JVM. Containers are added to the pod's sandbox with
 * runsc; a container's exit comes from {@code runsc wait}, an exec's from the runsc waiter that
 * {@code exec --detach} leaves as the JVM's child.
 */
final class GvisorTasks implements TaskService {
    private static final Logger LOG = Logger.getLogger(GvisorTasks.class.getName());
    /** How long an exit waits for the process's output to drain before it is reported. */
    private static final Duration DRAIN = Duration.ofSeconds(2);

    private final GvisorPod pod;
    private final GvisorEnvironment env;
    private final ContainerRunner runner;
    private volatile boolean detached;

    GvisorTasks(GvisorPod pod, GvisorEnvironment env) {
        this.pod = pod;
        this.env = env;
        this.runner = new ContainerRunner(pod, env, new ContainerRunner.Watcher() {
            @Override
            public void waitFor(GvisorContainer c) {
                startWaiter(c);
            }

            @Override
            public void watchExec(GvisorExec e, int pid) {
                watchExecWaiter(e, pid);
            }
        });
    }

    GvisorPod pod() {
        return pod;
    }

    ContainerRunner runner() {
        return runner;
    }

    @Override
    public TaskInfo create(CreateTask request) {
        if (pod.state() != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "pod " + pod.id() + " is " + pod.state()
                    + ", containers can only be created in a READY pod");
        }
        return runner.create(request).info();
    }

    @Override
    public long start(String containerId, String execId) {
        GvisorContainer c = pod.container(containerId);
        if (isExec(execId)) {
            return runner.startExec(c, exec(c, execId));
        }
        if (c.status() != TaskStatus.CREATED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", only a CREATED container can start");
        }
        env.runsc().cli().start(containerId, ContainerRunner.runscLog(c), ContainerRunner.startStdio(c));
        // runsc starts an added container's gofer here, not at create; watched, its exit never leaves a zombie
        // that runsc delete would wait for as if it still ran
        env.children().collect();
        c.startedAt(env.clock().instant());
        c.started();
        startWaiter(c);
        pod.persist();
        return c.pid();
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        GvisorContainer c = pod.container(containerId);
        if (isExec(execId)) {
            GvisorExec e = exec(c, execId);
            if (e.status() != TaskStatus.STOPPED && e.status() != TaskStatus.CREATED) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "exec " + execId + " is still running");
            }
            c.execs().remove(execId);
            e.detachStreams();
            e.closeLog();
            Trees.deleteTree(e.dir());
            return e.exit() != null ? e.exit() : ExitStatus.of(0, env.clock().instant());
        }
        TaskStatus s = c.status();
        if (s == TaskStatus.RUNNING || s == TaskStatus.PAUSED || s == TaskStatus.PAUSING) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + s
                    + "; kill it before deleting it");
        }
        runner.destroy(c);
        pod.containers().remove(containerId);
        pod.persist();
        return c.exit() != null ? c.exit() : ExitStatus.unknown(env.clock().instant(), "deleted before it ran");
    }

    /** The container's processes by their pid in the sandbox's root PID namespace (gVisor's, not the host's). */
    @Override
    public List<ProcessInfo> pids(String containerId) {
        GvisorContainer c = pod.container(containerId);
        if (c.status() == TaskStatus.STOPPED) {
            return List.of();
        }
        List<ProcessInfo> out = new ArrayList<>();
        for (int pid : env.runsc().cli().ps(containerId)) {
            String execId = c.execs().values().stream().filter(e -> e.sandboxPid() == pid).map(GvisorExec::execId)
                    .findFirst().orElse("");
            out.add(new ProcessInfo(pid, execId));
        }
        return out;
    }

    @Override
    public void pause(String containerId) {
        GvisorContainer c = running(containerId);
        env.runsc().cli().pause(containerId);
        c.paused(true);
        pod.persist();
    }

    @Override
    public void resume(String containerId) {
        GvisorContainer c = pod.container(containerId);
        if (c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is not paused");
        }
        env.runsc().cli().resume(containerId);
        c.paused(false);
        pod.persist();
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        GvisorContainer c = pod.container(containerId);
        OciProcess p = isExec(execId) ? exec(c, execId) : c;
        if (p.status() == TaskStatus.STOPPED || p.pid() <= 0 && p.status() != TaskStatus.CREATED) {
            return; // nothing left to signal; kill is idempotent for the engine's stop loop
        }
        try {
            if (p instanceof GvisorExec e) {
                if (e.sandboxPid() <= 0) {
                    throw new SandboxException(Reason.FAILED_PRECONDITION, "exec " + execId + " has no known pid");
                }
                env.runsc().killPid(containerId, e.sandboxPid(), signal);
            } else {
                env.runsc().cli().kill(containerId, signal, all);
            }
        } catch (SandboxException e) {
            if (p.status() != TaskStatus.STOPPED && e.reason() != Reason.NOT_FOUND
                    && e.reason() != Reason.FAILED_PRECONDITION) {
                throw e;
            }
        }
    }

    @Override
    public void exec(ExecProcess request) {
        GvisorContainer c = running(request.containerId());
        ProcessStreams.check(request.stdio(), "exec " + request.execId());
        ObjectNode process = env.specs().parse(request.processSpecJson(), "exec " + request.execId());
        env.specs().adjustProcess(process, "exec " + request.execId());
        GvisorExec e = new GvisorExec(c.containerId(), request.execId(), process.toString(), request.stdio(),
                c.bundle().resolve("execs").resolve(request.execId()));
        if (c.execs().putIfAbsent(request.execId(), e) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "exec " + request.execId() + " exists in container "
                    + c.containerId());
        }
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        GvisorContainer c = pod.container(containerId);
        try {
            (isExec(execId) ? exec(c, execId) : c).io().resize(width, height);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot resize the terminal of " + containerId + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void closeIO(String containerId, String execId) {
        GvisorContainer c = pod.container(containerId);
        (isExec(execId) ? exec(c, execId) : c).closeStdin();
    }

    /** runsc (2022) has no {@code update}: a gVisor container's limits are its pod's, set at RunPodSandbox. */
    @Override
    public void update(String containerId, Resources resources) {
        running(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "the gvisor sandboxer cannot change a running container's "
                + "resources: runsc has no update command; a gVisor pod's limits are its sandbox's");
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        GvisorContainer c = pod.container(containerId);
        return (isExec(execId) ? exec(c, execId) : c).exitFuture().minimalCompletionStage();
    }

    /**
     * gVisor's own accounting ({@code runsc events --stats}): CPU per container; memory is the sandbox's, as
     * gVisor's kernel does not charge memory to containers.
     */
    @Override
    public ContainerStats stats(String containerId) {
        GvisorContainer c = pod.container(containerId);
        if (c.status() == TaskStatus.STOPPED) {
            throw new SandboxException(Reason.NOT_FOUND, "container " + containerId + " has exited; no statistics");
        }
        JsonNode d = env.runsc().cli().stats(containerId);
        long cpu = d.path("cpu").path("usage").path("total").asLong(0);
        long memory = d.path("memory").path("usage").path("usage").asLong(0);
        long pids = d.path("pids").path("current").asLong(0);
        return new ContainerStats(env.clock().instant(), cpu, memory, memory, memory, 0, 0, pids, 0);
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        GvisorContainer c = pod.container(containerId);
        return (isExec(execId) ? exec(c, execId) : c).info();
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        return pod.subscribe(listener);
    }

    @Override
    public void reopenLog(String containerId) {
        GvisorContainer c = running(containerId);
        try {
            c.reopenLog();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot reopen log of " + containerId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public AutoCloseable attach(String containerId, String execId, Stdio streams) {
        GvisorContainer c = running(containerId);
        OciProcess p = isExec(execId) ? exec(c, execId) : c;
        return p.io().attach(streams, ContainerRunner.threadName(containerId, p.execId()) + "-attach");
    }

    /** SIGTERM to every container, SIGKILL to those still running after {@code timeout}; waits for their exits. */
    void stopAll(Duration timeout) {
        List<GvisorContainer> live = pod.containers().values().stream()
                .filter(c -> c.status() == TaskStatus.RUNNING || c.status() == TaskStatus.PAUSED).toList();
        for (GvisorContainer c : live) {
            signalQuietly(c, Signals.SIGTERM, false);
        }
        awaitExits(live, timeout);
        for (GvisorContainer c : live) {
            if (c.status() != TaskStatus.STOPPED) {
                signalQuietly(c, Signals.SIGKILL, true);
            }
        }
        awaitExits(live, Duration.ofSeconds(10));
    }

    /** Deletes every container (runsc state, rootfs, bundle). */
    void deleteAll() {
        for (GvisorContainer c : List.copyOf(pod.containers().values())) {
            runner.destroy(c);
            pod.containers().remove(c.containerId());
        }
    }

    /** Stops this instance's waiters, readers and writers; the containers keep running for the next instance. */
    void detach() {
        detached = true;
        for (GvisorContainer c : pod.containers().values()) {
            c.stopWaiter();
            c.execs().values().forEach(OciProcess::detachStreams);
            c.detachStreams();
            c.closeLog();
        }
    }

    /** Re-adopts one container recorded by an earlier instance or node. */
    void readopt(PersistedGvisorPod.PersistedContainer persisted) {
        runner.readopt(persisted);
    }

    /** The sandbox died on its own: every container still running went with it. */
    void sandboxDied(boolean oom) {
        Instant at = env.clock().instant();
        for (GvisorContainer c : pod.containers().values()) {
            if (c.status() != TaskStatus.STOPPED && c.status() != TaskStatus.CREATED) {
                exited(c, oom ? new ExitStatus(137, Signals.SIGKILL, at, "OOMKilled")
                        : ExitStatus.unknown(at, "its gVisor sandbox exited"), oom);
            }
        }
    }

    private void startWaiter(GvisorContainer c) {
        Process waiter;
        try {
            waiter = env.runsc().startWait(c.containerId());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot start runsc wait for " + c.containerId(), e);
            return;
        }
        c.waiter(waiter);
        env.exits().execute(() -> {
            String out;
            int code;
            try {
                out = new String(waiter.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                code = waiter.waitFor();
            } catch (IOException e) {
                out = e.getMessage();
                code = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (detached) {
                return; // this instance let go; the next one waits anew
            }
            Instant at = env.clock().instant();
            ExitStatus status;
            boolean oom = sandboxOom();
            if (code == 0) {
                try {
                    int n = env.runsc().parseWait(out);
                    String reason = oom ? "OOMKilled" : n == 0 ? "Completed" : "Error";
                    status = new ExitStatus(n, n > 128 ? n - 128 : 0, at, reason);
                } catch (SandboxException e) {
                    status = ExitStatus.unknown(at, e.getMessage());
                }
            } else {
                if (c.waiter() != waiter) {
                    return; // stopped on purpose (deleted): destroy() records the exit
                }
                status = oom ? new ExitStatus(137, Signals.SIGKILL, at, "OOMKilled")
                        : ExitStatus.unknown(at, "runsc wait failed: " + out.strip());
            }
            exited(c, status, oom);
        });
    }

    private void watchExecWaiter(GvisorExec e, int pid) {
        try {
            env.children().watch(pid).whenCompleteAsync((ExitEvent event, Throwable failure) -> {
                if (failure == null && !detached) {
                    exited(e, ExitStatuses.of(event, event.observed(), false), false);
                }
            }, env.exits());
        } catch (IOException ex) {
            exited(e, null, false); // gone already: its status went elsewhere
        }
    }

    private void exited(OciProcess p, ExitStatus status, boolean oom) {
        p.drainOutput(DRAIN);
        ExitStatus s = status != null ? status : ExitStatus.unknown(env.clock().instant(),
                "exited while no node was watching");
        if (!p.exited(s)) {
            return;
        }
        try {
            if (!isExec(p.execId())) {
                pod.persist();
            }
            if (oom) {
                pod.publish(new TaskEvent.OutOfMemory(p.containerId()));
            }
            pod.publish(new TaskEvent.Exited(p.containerId(), p.execId(), p.pid(), s));
        } finally {
            p.releaseWaiters();
        }
    }

    /** Whether the kernel's OOM killer struck the pod cgroup (the sandbox is charged for all its containers). */
    boolean sandboxOom() {
        try {
            return env.cgroups().controller().stats(pod.cgroup()).oomKills() > 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void signalQuietly(GvisorContainer c, int signal, boolean all) {
        try {
            kill(c.containerId(), "", signal, all);
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "signal " + signal + " to " + c.containerId(), e);
        }
    }

    private static void awaitExits(List<GvisorContainer> cs, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (GvisorContainer c : cs) {
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

    private GvisorContainer running(String containerId) {
        GvisorContainer c = pod.container(containerId);
        if (c.status() != TaskStatus.RUNNING && c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", not running");
        }
        return c;
    }

    private static GvisorExec exec(GvisorContainer c, String execId) {
        GvisorExec e = c.execs().get(execId);
        if (e == null) {
            throw SandboxException.notFound("exec", execId + " in container " + c.containerId());
        }
        return e;
    }

    static boolean isExec(String execId) {
        return execId != null && !execId.isEmpty();
    }
}
