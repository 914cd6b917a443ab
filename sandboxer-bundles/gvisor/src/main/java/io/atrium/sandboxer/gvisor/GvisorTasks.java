package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.process.ExitEvent;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.ExitStatuses;
import io.atrium.sandboxer.ociruntime.OciPodTasks;
import io.atrium.sandboxer.ociruntime.OciProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one gVisor pod, in the node's JVM. Containers are added to the pod's sandbox with
 * runsc; a container's exit comes from {@code runsc wait}, an exec's from the runsc waiter that
 * {@code exec --detach} leaves as the JVM's child. The bookkeeping shared with the runc sandboxer is in
 * {@link OciPodTasks}.
 */
final class GvisorTasks extends OciPodTasks<GvisorContainer, GvisorExec> {
    private static final Logger LOG = Logger.getLogger(GvisorTasks.class.getName());

    private final GvisorPod pod;
    private final GvisorEnvironment env;
    private final ContainerRunner runner;
    private volatile boolean detached;

    GvisorTasks(GvisorPod pod, GvisorEnvironment env) {
        super(pod, env.runsc().cli(), env.specs(), env.clock());
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
    protected GvisorContainer createContainer(CreateTask request) {
        return runner.create(request);
    }

    @Override
    protected void startContainer(GvisorContainer c) {
        env.runsc().cli().start(c.containerId(), ContainerRunner.runscLog(c), ContainerRunner.startStdio(c));
        // runsc starts an added container's gofer here, not at create; watched, its exit never leaves a zombie
        // that runsc delete would wait for as if it still ran
        env.children().collect();
    }

    @Override
    protected void containerStarted(GvisorContainer c) {
        startWaiter(c);
    }

    @Override
    protected long startExec(GvisorContainer c, GvisorExec e) {
        return runner.startExec(c, e);
    }

    @Override
    protected void destroy(GvisorContainer c) {
        runner.destroy(c);
    }

    @Override
    protected GvisorExec newExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
        return new GvisorExec(containerId, execId, processJson, stdio, dir);
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
    public void kill(String containerId, String execId, int signal, boolean all) {
        OciProcess p = process(containerId, execId);
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

    /** runsc (2022) has no {@code update}: a gVisor container's limits are its pod's, set at RunPodSandbox. */
    @Override
    public void update(String containerId, Resources resources) {
        running(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "the gvisor sandboxer cannot change a running container's "
                + "resources: runsc has no update command; a gVisor pod's limits are its sandbox's");
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
        reportExit(p, status != null ? status : ExitStatus.unknown(env.clock().instant(),
                "exited while no node was watching"), oom);
    }

    /** Whether the kernel's OOM killer struck the pod cgroup (the sandbox is charged for all its containers). */
    boolean sandboxOom() {
        try {
            return env.cgroups().controller().stats(pod.cgroup()).oomKills() > 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
