package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedContainer;
import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedExec;
import io.atrium.sandboxer.ociruntime.ContainerSteps;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.OciRuntime.ContainerState;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster.PodView;
import io.atrium.sandboxer.ociruntime.StdioPaths;
import io.atrium.sandbox.api.Stdio;
import java.nio.charset.StandardCharsets;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Adds a container (or exec) to a pod's sandbox with runsc and takes it out again, leaving nothing behind on
 * any failure path; also re-adopts containers an earlier instance or node left running.
 */
final class ContainerRunner {
    private static final Logger LOG = Logger.getLogger(ContainerRunner.class.getName());

    /** How exits reach the task service. */
    interface Watcher {
        /** Starts {@code runsc wait} for a started (or re-adopted) container. */
        void waitFor(GvisorContainer c);

        /** Watches the host pid of an exec's runsc waiter. */
        void watchExec(GvisorExec e, int pid);
    }

    private final GvisorPod pod;
    private final GvisorEnvironment env;
    private final Watcher watcher;

    ContainerRunner(GvisorPod pod, GvisorEnvironment env, Watcher watcher) {
        this.pod = pod;
        this.env = env;
        this.watcher = watcher;
    }

    GvisorContainer create(CreateTask req) {
        String id = req.containerId();
        if (pod.id().equals(id)) {
            throw SandboxException.invalid("container id " + id + " is the pod's own sandbox id");
        }
        if (req.stdio() != null && req.stdio().terminal()) {
            throw new SandboxException(Reason.UNIMPLEMENTED, "container " + id + ": terminals (tty: true) for containers "
                    + "are not supported by the gvisor sandboxer yet (runsc gives an added container the terminal of "
                    + "'runsc start')");
        }
        Path bundle = pod.containersDir().resolve(id == null ? "" : id);
        // refusals come from GvisorSpecHook
        ObjectNode spec = ContainerSteps.containerSpec(env.specs(), req, podView(), bundle);
        GvisorSpecHook.joinSandbox(spec, pod.id());
        GvisorContainer c = new GvisorContainer(id, bundle, ProcessStreams.logPath(req.stdio()), env.clock().instant());
        return ContainerSteps.create(pod, c, req, env.rootfs(), created -> {
            launch(created, spec, req.stdio());
            created.created(pod.sandboxPid()); // its processes are gVisor's; the host sees only the sandbox
        }, this::destroy);
    }

    /**
     * {@code runsc create} with no streams, the FIFOs made and read now: runsc hands an added container the
     * streams of {@code runsc start} (see {@link #startStdio}), so the shared launcher's create, which gives
     * them to {@code create}, does not fit here.
     */
    private void launch(GvisorContainer c, ObjectNode spec, Stdio stdio) throws IOException {
        String id = c.containerId();
        boolean done = false;
        try {
            Files.createDirectories(c.bundle());
            OciSpecAdjuster.object(spec, "process").put("terminal", false);
            Files.writeString(c.bundle().resolve(OciLauncher.CONFIG_JSON), spec.toString(), StandardCharsets.UTF_8);
            ProcessStreams streams = env.launcher().streams();
            c.log(streams.openLog(stdio));
            streams.connect(c, stdio, c.bundle(), c.log(), threadName(id, ""));
            env.runsc().cli().create(id, c.bundle(), c.bundle().resolve(OciLauncher.INIT_PID), runscLog(c),
                    StdioPaths.NULL);
            done = true;
        } finally {
            if (!done) {
                c.detachStreams();
                c.closeLog();
            }
        }
    }

    static Path runscLog(GvisorContainer c) {
        return c.bundle().resolve(OciLauncher.RUNTIME_LOG);
    }

    /** What {@code runsc start} gets as the container's streams: the FIFOs made at create, else /dev/null. */
    static StdioPaths startStdio(GvisorContainer c) {
        Path out = c.bundle().resolve(ProcessStreams.STDOUT_FIFO);
        Path err = c.bundle().resolve(ProcessStreams.STDERR_FIFO);
        Path in = c.bundle().resolve(ProcessStreams.STDIN_FIFO);
        return new StdioPaths(Files.exists(in) ? in : StdioPaths.DEV_NULL, Files.exists(out) ? out : StdioPaths.DEV_NULL,
                Files.exists(err) ? err : StdioPaths.DEV_NULL);
    }

    long startExec(GvisorContainer c, GvisorExec e) {
        return ContainerSteps.startExec(pod, c, e, x -> {
            Path internalPid = x.dir().resolve("sandbox.pid");
            int pid = env.launcher().exec(x, x.dir(), x.processJson(), x.stdio(), threadName(c.containerId(), x.execId()),
                    List.of("--internal-pid-file", internalPid.toString()));
            x.sandboxPid(readPidQuietly(internalPid));
            return pid;
        }, watcher::watchExec, x -> { });
    }

    /** Removes the container from the sandbox (runsc state, gofer), its rootfs mounts and its bundle. Idempotent. */
    void destroy(GvisorContainer c) {
        c.execs().values().forEach(GvisorExec::detachStreams);
        c.execs().values().forEach(GvisorExec::closeLog);
        env.children().collect(); // a gofer the reaper does not watch yet would be waited for by runsc delete
        env.runsc().cli().deleteForce(c.containerId()); // kills its processes in the sandbox if they still run
        if (c.status() == TaskStatus.RUNNING || c.status() == TaskStatus.PAUSED) {
            ContainerSteps.awaitExitAfterDelete(c, "runsc");
        }
        c.stopWaiter();
        c.detachStreams();
        c.closeLog();
        env.children().collect();
        try {
            env.rootfs().unmount(c.rootfs());
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot release container " + c.containerId() + ": "
                    + e.getMessage(), e);
        }
        Trees.deleteTree(c.bundle());
    }

    /** Takes over a container recorded by an earlier instance (bundle update) or node (restart). */
    void readopt(PersistedContainer pc) {
        GvisorContainer c = new GvisorContainer(pc.id(), Path.of(pc.bundle()), pc.logPath() == null ? null
                : Path.of(pc.logPath()), pc.createdAt());
        c.startedAt(pc.startedAt());
        c.rootfsMounted(pc.rootfsMounted());
        pod.containers().put(pc.id(), c);
        if (pc.exit() != null || pc.status() == TaskStatus.STOPPED) {
            c.restore(TaskStatus.STOPPED, pod.sandboxPid(), pc.exit() != null ? pc.exit()
                    : ExitStatus.unknown(env.clock().instant(), "exit not recorded"));
            return;
        }
        Optional<ContainerState> st = Optional.empty();
        try {
            st = env.runsc().cli().state(pc.id());
        } catch (SandboxException e) {
            LOG.log(Level.WARNING, "runsc state of " + pc.id() + " failed", e);
        }
        if (st.isEmpty()) {
            c.restore(TaskStatus.STOPPED, 0, ExitStatus.unknown(env.clock().instant(),
                    "its sandbox is gone (the node rebooted, or it was killed while no node was watching)"));
            return;
        }
        String status = st.get().status();
        // "stopped" counts as running: runsc wait still knows its exit status
        c.restore(ContainerSteps.liveStatus(status), pod.sandboxPid(), null);
        ContainerSteps.reopenLog(c, env.clock());
        env.launcher().streams().reconnect(c, c.bundle(), c.log(), null, false, null, false, threadName(pc.id(), ""));
        if (!status.equals("created")) {
            watcher.waitFor(c);
        }
        for (PersistedExec pe : pc.execs()) {
            // only the pids are left of an exec; watching its waiter reaps it instead of leaving a zombie
            if (ContainerSteps.ourChild(pe.waiterPid())) {
                GvisorExec e = new GvisorExec(pc.id(), pe.execId(), "{}", io.atrium.sandbox.api.Stdio.NONE,
                        c.bundle().resolve("execs").resolve(pe.execId()));
                e.restore(TaskStatus.RUNNING, pe.waiterPid(), null);
                e.sandboxPid(pe.sandboxPid());
                c.execs().put(pe.execId(), e);
                watcher.watchExec(e, pe.waiterPid());
            }
        }
    }

    /**
     * What the pod gives each container: its /etc files. Namespaces and cgroups are the sandbox's own (gVisor
     * gives every container of the sandbox the pod's network, UTS and IPC), so none are joined by path; the
     * pod's sysctls went to the sandbox itself.
     */
    private PodView podView() {
        return new PodView(null, null, null, null, pod.hostsFile(), pod.resolvConf(), pod.hostnameFile(), null, Map.of());
    }

    private static int readPidQuietly(Path file) {
        try {
            return OciLauncher.readPid(file, "exec");
        } catch (IOException | RuntimeException e) {
            return 0; // signals then go to the waiter's container as a whole
        }
    }

    static String threadName(String containerId, String execId) {
        return ContainerSteps.threadName("gvisor", containerId, execId);
    }
}
