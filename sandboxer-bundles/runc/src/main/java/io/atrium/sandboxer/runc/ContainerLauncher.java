package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.bindings.process.ProcStat;
import io.atrium.bindings.tty.FdChannel;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.ContainerSteps;
import io.atrium.sandboxer.ociruntime.OciExec;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.OciProcess;
import io.atrium.sandboxer.ociruntime.OciRuntime.ContainerState;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster.PodView;
import io.atrium.sandboxer.ociruntime.ProcessIo;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.Trees;
import io.atrium.sandboxer.runc.PersistedPod.PersistedContainer;
import io.atrium.sandboxer.runc.PersistedPod.PersistedExec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Brings a container (or exec) into being with runc and takes it apart again, leaving nothing behind
 * on any failure path; also re-adopts containers an earlier instance or node left running.
 */
final class ContainerLauncher {
    private static final Logger LOG = Logger.getLogger(ContainerLauncher.class.getName());

    /** How a launched process is handed to the exit watcher. */
    @FunctionalInterface
    interface Watcher {
        void watch(OciProcess process, int pid, boolean child);
    }

    private final RuncPod pod;
    private final RuncEnvironment env;
    private final Watcher watcher;

    ContainerLauncher(RuncPod pod, RuncEnvironment env, Watcher watcher) {
        this.pod = pod;
        this.env = env;
        this.watcher = watcher;
    }

    RuncContainer create(CreateTask req) {
        String id = req.containerId();
        Path bundle = pod.runDir().resolve("containers").resolve(id == null ? "" : id);
        ObjectNode spec = ContainerSteps.containerSpec(env.specs(), req, podView(), bundle);
        RuncContainer c = new RuncContainer(id, bundle, ProcessStreams.logPath(req.stdio()), env.clock().instant());
        return ContainerSteps.create(pod, c, req, env.rootfs(), created -> {
            int pid = env.launcher().create(created, bundle, spec, req.stdio(), threadName(id, ""));
            created.created(pid);
            watcher.watch(created, pid, true);
        }, this::destroy);
    }

    long startExec(RuncContainer c, OciExec e) {
        return ContainerSteps.startExec(pod, c, e,
                x -> env.launcher().exec(x, x.dir(), x.processJson(), x.stdio(), threadName(c.containerId(), x.execId())),
                (x, pid) -> watcher.watch(x, pid, true),
                x -> killOrphan(x.dir().resolve("exec.pid"), x.execId()));
    }

    /** Removes the container's runc state, processes, rootfs mounts, cgroup and bundle. Idempotent. */
    void destroy(RuncContainer c) {
        c.execs().values().forEach(OciProcess::detachStreams);
        c.execs().values().forEach(OciProcess::closeLog);
        c.detachStreams();
        env.runc().deleteForce(c.containerId()); // kills the init if it still runs
        if (c.pid() > 0) {
            ContainerSteps.awaitExitAfterDelete(c, "runc");
        }
        c.closeLog();
        try {
            env.rootfs().unmount(c.rootfs());
            env.cgroups().removeEverywhere(pod.containerCgroup(c.containerId()));
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot release container " + c.containerId() + ": "
                    + e.getMessage(), e);
        }
        Trees.deleteTree(c.bundle());
    }

    /** Takes over a container recorded by an earlier instance (bundle update) or node (restart). */
    void readopt(PersistedContainer pc) {
        RuncContainer c = new RuncContainer(pc.id(), Path.of(pc.bundle()), pc.logPath() == null ? null : Path.of(pc.logPath()),
                pc.createdAt());
        c.startedAt(pc.startedAt());
        c.rootfsMounted(pc.rootfsMounted());
        pod.containers().put(pc.id(), c);
        if (pc.exit() != null || pc.status() == TaskStatus.STOPPED) {
            c.restore(TaskStatus.STOPPED, pc.pid(), pc.exit() != null ? pc.exit()
                    : ExitStatus.unknown(env.clock().instant(), "exit not recorded"));
            return;
        }
        Optional<ContainerState> runc = Optional.empty();
        try {
            runc = env.runc().state(pc.id());
        } catch (SandboxException e) {
            LOG.log(Level.WARNING, "runc state of " + pc.id() + " failed", e);
        }
        int pid = runc.map(ContainerState::pid).filter(p -> p > 0).orElse(pc.pid());
        Optional<ProcStat> proc = ContainerSteps.procStat(pid);
        boolean ourChild = ContainerSteps.ourChild(pid);
        boolean alive = runc.isPresent() && proc.isPresent()
                && (!runc.get().status().equals("stopped") || ourChild); // our zombie still has its exit code
        if (!alive) {
            c.restore(TaskStatus.STOPPED, pid, ExitStatus.unknown(env.clock().instant(),
                    "exited while no node was watching"));
            return;
        }
        c.restore(ContainerSteps.liveStatus(runc.get().status()), pid, null);
        ContainerSteps.reopenLog(c, env.clock());
        boolean ours = ProcessIo.fdOwner().equals(pc.fdOwner()); // same JVM: the descriptors were handed over
        FdChannel console = ours ? adopt(pc.consoleFd(), Set.of("/dev/ptmx", "/dev/pts/ptmx"), pc.id()) : null;
        FdChannel stdin = ours ? adopt(pc.stdinFd(), Set.of(c.bundle().resolve(ProcessStreams.STDIN_FIFO).toString()),
                pc.id()) : null;
        if (pc.consoleFd() != 0 && console == null) {
            LOG.warning("container " + pc.id() + " lost its terminal with the JVM that held it; its output is no longer "
                    + "logged");
        }
        env.streams().reconnect(c, c.bundle(), c.log(), console, pc.consoleInput(), stdin, pc.stdinOnce(),
                threadName(pc.id(), ""));
        watcher.watch(c, pid, ourChild);
        for (PersistedExec pe : pc.execs()) {
            // only the pid is left of an exec; watching it reaps it instead of leaving a zombie
            if (ContainerSteps.ourChild(pe.pid())) {
                OciExec e = new OciExec(pc.id(), pe.execId(), "{}", io.atrium.sandbox.api.Stdio.NONE,
                        c.bundle().resolve("execs").resolve(pe.execId()));
                e.restore(TaskStatus.RUNNING, pe.pid(), null);
                c.execs().put(pe.execId(), e);
                watcher.watch(e, pe.pid(), true);
            }
        }
    }

    /** An exec that runc started before a later step failed (e.g. its terminal never arrived): killed and reaped. */
    private void killOrphan(Path pidFile, String execId) {
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            int pid = OciLauncher.readPid(pidFile, "exec " + execId);
            env.reaper().watch(pid); // reaps it: the JVM is its subreaper
            env.reaper().kill(pid);
        } catch (IOException | RuntimeException ex) {
            LOG.log(Level.WARNING, "cannot kill exec " + execId + " left by a failed start", ex);
        }
    }

    private static FdChannel adopt(int fd, Set<String> targets, String id) {
        if (fd <= 0) {
            return null;
        }
        try {
            return FdChannel.adopt(fd, targets).orElse(null);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot take over descriptor " + fd + " of " + id, e);
            return null;
        }
    }

    private PodView podView() {
        PinnedNamespaces pins = pod.pins();
        PersistedPod b = pod.base();
        Path ipc = b.hostIpc() || pins == null ? null : pins.path(NamespaceType.IPC);
        Path uts = b.hostNetwork() || pins == null ? null : pins.path(NamespaceType.UTS);
        return new PodView(b.netnsPath() == null ? null : Path.of(b.netnsPath()), ipc, uts, pod.cgroup(), pod.hostsFile(),
                pod.resolvConf(), pod.hostnameFile(), pod.shm(), b.sysctls());
    }

    private static String threadName(String containerId, String execId) {
        return ContainerSteps.threadName("runc", containerId, execId);
    }
}
