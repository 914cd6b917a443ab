package com.example.atrium.process;

import com.example.atrium.process.ContainerLauncher.RunDir;
import com.example.atrium.process.ContainerState.Created;
import com.example.atrium.process.ContainerState.Exited;
import com.example.atrium.process.ContainerState.Running;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The containers of one process-sandboxer pod. Holds no state of its own: everything lives in
 * the {@link Pod} record, so an instance handed out before a bundle swap keeps nothing stale.
 */
final class ProcessTaskService implements TaskService {

    private final ProcessSandboxer sandboxer;
    private final Pod pod;

    ProcessTaskService(ProcessSandboxer sandboxer, Pod pod) {
        this.sandboxer = sandboxer;
        this.pod = pod;
    }

    @Override
    public TaskInfo create(CreateTask request) {
        String id = request.containerId();
        ProcessSandboxer.checkId(id, "container id");
        LaunchSpec spec = LaunchSpec.fromOciSpec(id, request.ociSpecJson());
        Path criLog = criLogOf(id, request.stdio());
        return pod.locked(() -> {
            if (pod.record().state() == SandboxState.STOPPED) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "sandbox " + pod.id() + " is stopped; no new containers");
            }
            if (pod.record().containers().containsKey(id)) {
                throw new SandboxException(Reason.ALREADY_EXISTS, "container " + id + " already exists in sandbox " + pod.id());
            }
            RunDir run = sandboxer.runDir(pod.id(), id);
            List<Mount> mounted = request.rootfs();
            Path root;
            if (!mounted.isEmpty()) {
                root = sandboxer.launcher().mountRootfs(run, mounted);
            } else if (spec.rootPath().startsWith("/")) {
                root = Path.of(spec.rootPath());
            } else {
                throw SandboxException.invalid("container " + id + " has no rootfs mounts and its root.path '" + spec.rootPath()
                        + "' is not absolute (the process sandboxer has no OCI bundle directory to resolve it against)");
            }
            ContainerRecord c = new ContainerRecord(id, spec, root, mounted, criLog, new Created());
            try {
                pod.update(r -> r.withContainer(c));
            } catch (RuntimeException e) {
                try {
                    sandboxer.launcher().release(run, !mounted.isEmpty());
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
            return info(c);
        });
    }

    /** Only CRI log files (or nothing) and no terminal: a plain process has no streaming server attached. */
    private static Path criLogOf(String id, Stdio stdio) {
        if (stdio.terminal()) {
            throw new SandboxException(Reason.UNIMPLEMENTED, "container " + id + " asks for a terminal; the process sandboxer gives no TTY");
        }
        if (!(stdio.stdin() instanceof Stdio.Endpoint.None)) {
            throw new SandboxException(Reason.UNIMPLEMENTED, "container " + id
                    + " asks for stdin; the process sandboxer runs containers with stdin closed");
        }
        Path out = logPath(id, "stdout", stdio.stdout());
        Path err = logPath(id, "stderr", stdio.stderr());
        if (out != null && err != null && !out.equals(err)) {
            throw new SandboxException(Reason.UNIMPLEMENTED, "container " + id
                    + ": stdout and stderr must go to the same CRI log file, got " + out + " and " + err);
        }
        return out != null ? out : err;
    }

    private static Path logPath(String id, String stream, Stdio.Endpoint e) {
        if (e instanceof Stdio.Endpoint.None) {
            return null;
        }
        if (e instanceof Stdio.Endpoint.CriLog log) {
            return log.path();
        }
        throw new SandboxException(Reason.UNIMPLEMENTED, "container " + id + ": " + stream + " endpoint "
                + e.getClass().getSimpleName() + " is not supported; the process sandboxer writes CRI log files only");
    }

    @Override
    public long start(String containerId, String execId) {
        noExec(execId, "start");
        return pod.locked(() -> {
            ContainerRecord c = pod.container(containerId);
            if (!c.state().canStart()) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is "
                        + c.state().status().name().toLowerCase() + "; only a created container can be started");
            }
            if (pod.record().state() != SandboxState.READY) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "sandbox " + pod.id() + " is "
                        + pod.record().state().name().toLowerCase() + ", not ready");
            }
            RunDir run = sandboxer.runDir(pod.id(), containerId);
            Process p = sandboxer.launcher().start(containerId, c.launch(), c.root(), run, c.criLog() != null);
            Instant processStart = p.info().startInstant().orElse(null);
            try {
                pod.update(r -> r.withContainer(c.withState(new Running(p.pid(), processStart))));
            } catch (RuntimeException e) {
                p.destroyForcibly(); // never leave a process nobody has a record of
                throw e;
            }
            if (c.criLog() != null) {
                sandboxer.followLogs(pod.id(), containerId, run, c.criLog());
            }
            sandboxer.watch(pod, containerId, p.pid(), p.onExit().thenApply(done -> exitStatus(done.exitValue())));
            return p.pid();
        });
    }

    /** The JDK reports death by signal N as 128 + N; so does a shell, so the two are indistinguishable here. */
    static ExitStatus exitStatus(int exitValue) {
        Instant now = Instant.now();
        if (exitValue > 128 && exitValue <= 128 + 64) {
            return new ExitStatus(exitValue, exitValue - 128, now, "Error");
        }
        return ExitStatus.of(exitValue, now);
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        noExec(execId, "delete");
        return pod.locked(() -> {
            ContainerRecord c = pod.container(containerId);
            if (!c.state().canDelete()) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId
                        + " is running; kill it and wait for its exit before deleting it");
            }
            sandboxer.launcher().release(sandboxer.runDir(pod.id(), containerId), !c.rootfsMounts().isEmpty());
            pod.update(r -> r.withoutContainer(containerId));
            pod.forgetExit(containerId);
            return c.state() instanceof Exited e ? e.exit() : ExitStatus.unknown(Instant.now(), "NeverStarted");
        });
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        List<ProcessInfo> out = new ArrayList<>();
        if (pod.container(containerId).state() instanceof Running r) {
            ProcessSandboxer.pidsOf(r.pid()).forEach(pid -> out.add(new ProcessInfo(pid, "")));
        }
        return out;
    }

    @Override
    public void pause(String containerId) {
        pod.container(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "pause needs the cgroup freezer; the process sandboxer uses no cgroups");
    }

    @Override
    public void resume(String containerId) {
        pod.container(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "resume needs the cgroup freezer; the process sandboxer uses no cgroups");
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        noExec(execId, "kill");
        if (!(pod.container(containerId).state() instanceof Running r)) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " is not running");
        }
        Signals.send(all ? ProcessSandboxer.pidsOf(r.pid()) : List.of(r.pid()), signal);
    }

    @Override
    public void exec(ExecProcess request) {
        throw new SandboxException(Reason.UNIMPLEMENTED, "exec is not implemented by the process sandboxer (container "
                + request.containerId() + "): it keeps no helper next to containers to start and watch extra processes");
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        throw new SandboxException(Reason.UNIMPLEMENTED, "the process sandboxer gives no TTY, so there is nothing to resize");
    }

    @Override
    public void closeIO(String containerId, String execId) {
        noExec(execId, "closeIO");
        pod.container(containerId); // stdin is always /dev/null: already closed
    }

    @Override
    public void update(String containerId, Resources resources) {
        pod.container(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED,
                "the process sandboxer uses no cgroups, so it cannot change the resources of container " + containerId);
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        noExec(execId, "waitExit");
        pod.container(containerId);
        return pod.exitOf(containerId).minimalCompletionStage();
    }

    @Override
    public ContainerStats stats(String containerId) {
        ContainerState s = pod.container(containerId).state();
        return ProcStats.of(s instanceof Running r ? ProcessSandboxer.pidsOf(r.pid()) : List.of());
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        noExec(execId, "state");
        return info(pod.container(containerId));
    }

    private static TaskInfo info(ContainerRecord c) {
        ContainerState s = c.state();
        long pid = s instanceof Running r ? r.pid() : s instanceof Exited e ? e.pid() : 0;
        return new TaskInfo(c.id(), "", pid, s.status(), s instanceof Exited e ? e.exit() : null);
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        return sandboxer.events().subscribe(pod.id(), listener);
    }

    private static void noExec(String execId, String verb) {
        if (execId != null && !execId.isEmpty()) {
            throw new SandboxException(Reason.NOT_FOUND, "exec " + execId + " not found (" + verb
                    + "): the process sandboxer runs no exec processes");
        }
    }
}
