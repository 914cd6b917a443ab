package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.cgroup.CgroupStats;
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
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.ExitStatuses;
import io.atrium.sandboxer.ociruntime.OciProcess;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
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
import java.util.concurrent.CompletionStage;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one runc pod, in the node's JVM. Containers are created and started with runc;
 * their init processes are then the JVM's children (it is their subreaper) and are watched by pid.
 */
final class PodTasks implements TaskService {
    private static final Logger LOG = Logger.getLogger(PodTasks.class.getName());
    /** How long an exit waits for the process's output to drain before it is reported. */
    private static final Duration DRAIN = Duration.ofSeconds(2);

    private final RuncPod pod;
    private final RuncEnvironment env;
    private final ContainerLauncher launcher;

    PodTasks(RuncPod pod, RuncEnvironment env) {
        this.pod = pod;
        this.env = env;
        this.launcher = new ContainerLauncher(pod, env, this::watch);
    }

    RuncPod pod() {
        return pod;
    }

    @Override
    public TaskInfo create(CreateTask request) {
        if (pod.state() != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "pod " + pod.id() + " is " + pod.state()
                    + ", containers can only be created in a READY pod");
        }
        return launcher.create(request).info();
    }

    @Override
    public long start(String containerId, String execId) {
        RuncContainer c = pod.container(containerId);
        if (isExec(execId)) {
            return launcher.startExec(c, exec(c, execId));
        }
        if (c.status() != TaskStatus.CREATED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", only a CREATED container can start");
        }
        env.runc().start(containerId);
        c.startedAt(env.clock().instant());
        c.started();
        pod.persist();
        return c.pid();
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        RuncContainer c = pod.container(containerId);
        if (isExec(execId)) {
            RuncExec e = exec(c, execId);
            if (e.status() != TaskStatus.STOPPED && e.status() != TaskStatus.CREATED) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "exec " + execId + " is still running");
            }
            c.execs().remove(execId);
            e.detachStreams();
            Trees.deleteTree(e.dir());
            return e.exit() != null ? e.exit() : ExitStatus.of(0, env.clock().instant());
        }
        TaskStatus s = c.status();
        if (s == TaskStatus.RUNNING || s == TaskStatus.PAUSED || s == TaskStatus.PAUSING) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + s
                    + "; kill it before deleting it");
        }
        launcher.destroy(c);
        pod.containers().remove(containerId);
        pod.persist();
        return c.exit() != null ? c.exit() : ExitStatus.unknown(env.clock().instant(), "deleted before it ran");
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        RuncContainer c = pod.container(containerId);
        List<ProcessInfo> out = new ArrayList<>();
        try {
            for (int pid : env.cgroups().controller().processes(pod.containerCgroup(containerId))) {
                String execId = c.execs().values().stream().filter(e -> e.pid() == pid).map(RuncExec::execId)
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
    public void pause(String containerId) {
        RuncContainer c = running(containerId);
        env.runc().pause(containerId);
        c.paused(true);
        pod.persist();
    }

    @Override
    public void resume(String containerId) {
        RuncContainer c = pod.container(containerId);
        if (c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is not paused");
        }
        env.runc().resume(containerId);
        c.paused(false);
        pod.persist();
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        RuncContainer c = pod.container(containerId);
        OciProcess p = isExec(execId) ? exec(c, execId) : c;
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
    public void exec(ExecProcess request) {
        RuncContainer c = running(request.containerId());
        ProcessStreams.check(request.stdio(), "exec " + request.execId());
        ObjectNode process = env.specs().parse(request.processSpecJson(), "exec " + request.execId());
        env.specs().adjustProcess(process, "exec " + request.execId());
        RuncExec e = new RuncExec(c.containerId(), request.execId(), process.toString(), request.stdio(),
                c.bundle().resolve("execs").resolve(request.execId()));
        if (c.execs().putIfAbsent(request.execId(), e) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "exec " + request.execId() + " exists in container "
                    + c.containerId());
        }
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        RuncContainer c = pod.container(containerId);
        OciProcess p = isExec(execId) ? exec(c, execId) : c;
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
        RuncContainer c = pod.container(containerId);
        OciProcess p = isExec(execId) ? exec(c, execId) : c;
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
        RuncContainer c = pod.container(containerId);
        (isExec(execId) ? exec(c, execId) : c).closeStdin();
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
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        RuncContainer c = pod.container(containerId);
        return (isExec(execId) ? exec(c, execId) : c).exitFuture().minimalCompletionStage();
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

    @Override
    public TaskInfo state(String containerId, String execId) {
        RuncContainer c = pod.container(containerId);
        return (isExec(execId) ? exec(c, execId) : c).info();
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        return pod.subscribe(listener);
    }

    /** Kubelet's ReopenContainerLog: closes and reopens the container's CRI log file. */
    @Override
    public void reopenLog(String containerId) {
        RuncContainer c = running(containerId);
        try {
            c.reopenLog();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot reopen log of " + containerId + ": " + e.getMessage(), e);
        }
    }

    /** SIGTERM to every container, SIGKILL to those still running after {@code timeout}; waits for their exits. */
    void stopAll(Duration timeout) {
        List<RuncContainer> live = pod.containers().values().stream()
                .filter(c -> c.status() != TaskStatus.STOPPED).toList();
        for (RuncContainer c : live) {
            if (c.status() == TaskStatus.CREATED) {
                signalQuietly(c, Signals.SIGKILL); // never started: nothing to shut down gracefully
            } else {
                signalQuietly(c, Signals.SIGTERM);
            }
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

    /** Deletes every container (runc state, rootfs, bundle); their processes must be gone. */
    void deleteAll() {
        for (RuncContainer c : List.copyOf(pod.containers().values())) {
            launcher.destroy(c);
            pod.containers().remove(c.containerId());
        }
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
        ExitStatus status = ExitStatuses.of(event, at, oom);
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

    private boolean oomKilled(String containerId) {
        try {
            return env.cgroups().controller().stats(pod.containerCgroup(containerId)).oomKills() > 0;
        } catch (IOException | RuntimeException e) {
            return false; // no cgroup left to ask
        }
    }

    private void signalQuietly(RuncContainer c, int signal) {
        try {
            kill(c.containerId(), "", signal, false);
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "signal " + signal + " to " + c.containerId(), e);
        }
    }

    private static void awaitExits(List<RuncContainer> cs, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (RuncContainer c : cs) {
            long left = deadline - System.nanoTime();
            try {
                c.exitFuture().get(Math.max(0, left), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // checked by the caller
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private RuncContainer running(String containerId) {
        RuncContainer c = pod.container(containerId);
        if (c.status() != TaskStatus.RUNNING && c.status() != TaskStatus.PAUSED) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is " + c.status()
                    + ", not running");
        }
        return c;
    }

    private static RuncExec exec(RuncContainer c, String execId) {
        RuncExec e = c.execs().get(execId);
        if (e == null) {
            throw SandboxException.notFound("exec", execId + " in container " + c.containerId());
        }
        return e;
    }

    static boolean isExec(String execId) {
        return execId != null && !execId.isEmpty();
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static String describe(String containerId, String execId) {
        return isExec(execId) ? "exec " + execId + " of " + containerId : "container " + containerId;
    }
}
