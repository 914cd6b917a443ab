package io.atrium.sandboxer.runc;

import io.atrium.bindings.cgroup.CgroupStats;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.process.ExitEvent;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.ExitStatuses;
import io.atrium.sandboxer.ociruntime.OciExec;
import io.atrium.sandboxer.ociruntime.OciPodTasks;
import io.atrium.sandboxer.ociruntime.OciProcess;
import io.atrium.sandboxer.ociruntime.ResourcesJson;
import io.atrium.sandboxer.ociruntime.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one runc pod, in the node's JVM. Containers are created and started with runc;
 * their init processes are then the JVM's children (it is their subreaper) and are watched by pid.
 * The bookkeeping shared with other OCI-runtime sandboxers is in {@link OciPodTasks}.
 */
final class PodTasks extends OciPodTasks<RuncContainer, OciExec> {
    private static final Logger LOG = Logger.getLogger(PodTasks.class.getName());

    private final RuncPod pod;
    private final RuncEnvironment env;
    private final ContainerLauncher launcher;

    PodTasks(RuncPod pod, RuncEnvironment env) {
        super(pod, env.runc(), env.specs(), env.clock());
        this.pod = pod;
        this.env = env;
        this.launcher = new ContainerLauncher(pod, env, this::watch);
    }

    RuncPod pod() {
        return pod;
    }

    @Override
    protected RuncContainer createContainer(CreateTask request) {
        return launcher.create(request);
    }

    @Override
    protected void startContainer(RuncContainer c) {
        env.runc().start(c.containerId());
    }

    @Override
    protected long startExec(RuncContainer c, OciExec e) {
        return launcher.startExec(c, e);
    }

    @Override
    protected void destroy(RuncContainer c) {
        launcher.destroy(c);
    }

    @Override
    protected OciExec newExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
        return new OciExec(containerId, execId, processJson, stdio, dir);
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        RuncContainer c = pod.container(containerId);
        List<ProcessInfo> out = new ArrayList<>();
        try {
            for (int pid : env.cgroups().controller().processes(pod.containerCgroup(containerId))) {
                String execId = c.execs().values().stream().filter(e -> e.pid() == pid).map(OciExec::execId)
                        .findFirst().orElse("");
                out.add(new ProcessInfo(pid, execId));
            }
        } catch (IOException e) {
            if (c.status() == TaskStatus.STOPPED) {
                return out; // its cgroup may be gone with it
            }
            throw new SandboxException(Reason.INTERNAL, "cannot list processes of " + containerId + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        OciProcess p = process(containerId, execId);
        if (p.status() == TaskStatus.STOPPED || p.pid() <= 0) {
            return; // nothing left to signal; kill is idempotent for the engine's stop loop
        }
        try {
            if (all && !isExec(execId)) {
                env.runc().kill(containerId, signal, true);
            } else {
                env.reaper().signal(p.pid(), signal); // through the pidfd: a reused pid is never hit
            }
        } catch (IOException e) {
            if (p.status() != TaskStatus.STOPPED) {
                throw new SandboxException(Reason.INTERNAL, "cannot signal " + describe(containerId, execId) + ": "
                        + e.getMessage(), e);
            }
        } catch (SandboxException e) {
            if (p.status() != TaskStatus.STOPPED && e.reason() != Reason.NOT_FOUND) {
                throw e;
            }
        }
    }

    @Override
    public void update(String containerId, Resources resources) {
        RuncContainer c = running(containerId);
        Path file = c.bundle().resolve("update-resources.json");
        try {
            Files.writeString(file, ResourcesJson.toLinuxResources(env.json(), resources).toString(), StandardCharsets.UTF_8);
            env.runc().update(containerId, file);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot write resources of " + containerId + ": " + e.getMessage(), e);
        } finally {
            Trees.deleteTree(file);
        }
    }

    @Override
    public ContainerStats stats(String containerId) {
        pod.container(containerId);
        try {
            CgroupStats s = env.cgroups().controller().stats(pod.containerCgroup(containerId));
            return new ContainerStats(env.clock().instant(), s.cpu().usageNanos(), s.memory().usage(),
                    s.memory().workingSet(), s.memory().rss(), s.memory().pageFaults(), s.memory().majorPageFaults(),
                    s.pids().current(), s.oomKills());
        } catch (IOException e) {
            throw new SandboxException(Reason.NOT_FOUND, "no statistics for container " + containerId + " (its cgroup: "
                    + e.getMessage() + ")", e);
        }
    }

    /** SIGTERM to every container, SIGKILL to those still running after {@code timeout}; waits for their exits. */
    void stopAll(Duration timeout) {
        List<RuncContainer> live = pod.containers().values().stream()
                .filter(c -> c.status() != TaskStatus.STOPPED).toList();
        for (RuncContainer c : live) {
            // one never started has nothing to shut down gracefully
            signalQuietly(c, c.status() == TaskStatus.CREATED ? Signals.SIGKILL : Signals.SIGTERM, false);
        }
        awaitExits(live, timeout);
        for (RuncContainer c : live) {
            if (c.status() != TaskStatus.STOPPED) {
                try {
                    env.runc().kill(c.containerId(), Signals.SIGKILL, true);
                } catch (SandboxException e) {
                    LOG.log(Level.FINE, "SIGKILL to " + c.containerId(), e);
                }
            }
        }
        awaitExits(live, Duration.ofSeconds(10));
    }

    /**
     * Stops this instance's readers and writers; the containers keep running for the next instance,
     * which takes over their terminals and stdin FIFOs (held open here) by descriptor number. Execs'
     * streams belonged to clients of this instance and end.
     */
    void detach() {
        for (RuncContainer c : pod.containers().values()) {
            c.execs().values().forEach(OciProcess::detachStreams);
            c.handOverStreams();
            c.closeLog();
        }
    }

    /** Re-adopts one container recorded by an earlier instance or node. */
    void readopt(PersistedPod.PersistedContainer persisted) {
        launcher.readopt(persisted);
    }

    /**
     * Watches a process until it exits: {@code child} processes (reparented to this JVM) give their real
     * exit status; others (left by a node that restarted) are adopted and end with an unknown status.
     */
    void watch(OciProcess p, int pid, boolean child) {
        try {
            var exit = child ? env.reaper().watch(pid) : env.reaper().adopt(pid);
            exit.whenCompleteAsync((event, failure) -> {
                if (failure == null) {
                    exited(p, event);
                }
            }, env.exits());
        } catch (IOException e) {
            // it is gone already: its status went elsewhere or was collected before we looked
            exited(p, null);
        }
    }

    private void exited(OciProcess p, ExitEvent event) {
        p.drainOutput(DRAIN);
        p.detachStreams(); // its terminal, stdin FIFO, pumps and attached clients: nothing outlives the process
        if (isExec(p.execId())) {
            p.closeLog();
        }
        boolean oom = !isExec(p.execId()) && oomKilled(p.containerId());
        Instant at = event == null ? env.clock().instant() : event.observed();
        reportExit(p, ExitStatuses.of(event, at, oom), oom);
    }

    private boolean oomKilled(String containerId) {
        try {
            return env.cgroups().controller().stats(pod.containerCgroup(containerId)).oomKills() > 0;
        } catch (IOException | RuntimeException e) {
            return false; // no cgroup left to ask
        }
    }
}
