package io.atrium.sandboxer.gvisor;

import io.atrium.bindings.cgroup.Cgroups;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.process.ProcessReaper;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxReady;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerInfo;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.CgroupTree;
import io.atrium.sandboxer.ociruntime.ExitHandlers;
import io.atrium.sandboxer.ociruntime.PodNames;
import io.atrium.sandboxer.ociruntime.OciPodSandboxer;
import io.atrium.sandboxer.ociruntime.Fifos;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.RootfsMounts;
import io.atrium.sandboxer.ociruntime.StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The gVisor sandboxer: every pod gets its own application kernel — one runsc sandbox, created at
 * RunPodSandbox with {@code /pause} as its root process, in the engine's network namespace (gVisor's
 * netstack takes the interfaces over) and the pod cgroup. App containers are added to that sandbox by runsc's
 * multi-container support. No shim and no host-side pause container: the JVM drives the runsc CLI, reaps
 * the sandbox and gofer processes and learns exits from {@code runsc wait}.
 *
 * <p>Pods are persisted under {@link NodePaths#sandboxerState(String)} and re-adopted when an instance is
 * constructed (bundle update, node restart); {@link #close()} leaves every sandbox running.
 */
@Component(service = Sandboxer.class, property = Sandboxer.NAME_PROPERTY + "=" + GvisorSettings.NAME,
        configurationPid = "io.atrium.sandboxer.gvisor")
@Designate(ocd = GvisorConfig.class)
public final class GvisorSandboxer extends OciPodSandboxer<GvisorTasks> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GvisorSandboxer.class.getName());

    private final GvisorSettings settings;
    private final GvisorEnvironment env;
    private final SandboxBuilder builder;
    private final String runscVersion;
    private final List<String> platforms;
    private final List<String> unreadable = new ArrayList<>();

    @Activate
    public GvisorSandboxer(BundleContext context, GvisorConfig config) throws IOException {
        this(GvisorSettings.from(new NodePaths(Path.of(context.getProperty(NodePaths.ROOT_PROPERTY)),
                Path.of(context.getProperty(NodePaths.STATE_PROPERTY))), config, context::getProperty));
    }

    /** Checks runsc and the platform, starts supervising and re-adopts every pod recorded in {@code settings.state()}. */
    public GvisorSandboxer(GvisorSettings settings) throws IOException {
        this.settings = settings;
        Runsc runsc = new Runsc(settings);
        this.runscVersion = runsc.version(); // fails activation with a clear reason when runsc is missing
        this.platforms = runsc.platforms();
        if (!platforms.contains(settings.platform())) {
            throw new IllegalArgumentException("gVisor platform '" + settings.platform() + "' is not one runsc "
                    + runscVersion + " has; it has " + platforms);
        }
        Files.createDirectories(settings.runscRoot());
        Files.createDirectories(settings.state());
        writeFormat(settings.state());
        PauseRootfs.ensure(settings.pauseRootfs());
        Syscalls sys = new Syscalls();
        ProcessReaper reaper = new ProcessReaper(sys);
        reaper.start();
        ExecutorService exits = ExitHandlers.executor("atrium-gvisor-exit-");
        var json = StateStore.mapper();
        ProcessStreams streams = new ProcessStreams(new Fifos(), Clock.systemUTC());
        this.env = new GvisorEnvironment(settings, runsc,
                new OciLauncher(runsc.cli(), streams, settings.run().resolve("console")),
                new CgroupTree(Cgroups.detect(sys)), new RootfsMounts(new Mounts(sys)),
                new OciSpecAdjuster(json, OciSpecAdjuster.ownOomScoreAdj(), new GvisorSpecHook()),
                new StateStore<>(settings.state().resolve("pods"), PersistedGvisorPod.class,
                        GvisorEnvironment.STATE_FORMAT, "gvisor sandboxer"),
                reaper, new RunscChildren(reaper, settings.runscRoot()), exits, Clock.systemUTC(), json);
        this.builder = new SandboxBuilder(env);
        readoptAll();
        env.children().collect();
    }

    private static void writeFormat(Path state) throws IOException {
        Path format = state.resolve("FORMAT");
        if (Files.exists(format)) {
            String found = Files.readString(format, StandardCharsets.UTF_8).strip();
            if (!found.equals(Integer.toString(GvisorEnvironment.STATE_FORMAT))) {
                throw new IOException(state + " holds state format " + found + "; this gvisor sandboxer reads format "
                        + GvisorEnvironment.STATE_FORMAT);
            }
            return;
        }
        Files.writeString(format, GvisorEnvironment.STATE_FORMAT + "\n", StandardCharsets.UTF_8);
    }

    @Override
    protected CgroupTree cgroups() {
        return env.cgroups();
    }

    private void readoptAll() throws IOException {
        for (PersistedGvisorPod p : env.store().loadAll(unreadable)) {
            GvisorPod pod = new GvisorPod(p, env.store());
            GvisorTasks tasks = new GvisorTasks(pod, env);
            pods.put(p.id(), tasks);
            boolean alive = false;
            try {
                var st = env.runsc().cli().state(p.id());
                alive = st.isPresent() && st.get().pid() > 0 && !st.get().status().equals("stopped");
                if (alive) {
                    pod.sandboxPid(st.get().pid());
                }
            } catch (SandboxException e) {
                LOG.log(Level.WARNING, "runsc state of sandbox " + p.id() + " failed", e);
            }
            p.containers().forEach(tasks::readopt);
            if (!alive && pod.state() != SandboxState.STOPPED && pod.state() != SandboxState.CREATED) {
                pod.state(SandboxState.NOT_READY); // its kernel is gone: killed, or the node rebooted
            } else {
                pod.persist();
            }
            if (alive) {
                watchSandbox(tasks);
            }
            LOG.info("re-adopted gVisor pod " + p.id() + " (" + p.containers().size() + " containers, " + pod.state() + ")");
        }
    }

    @Override
    public String create(SandboxSpec spec) {
        String id = spec.id();
        PodNames.checkId(id);
        refuseUnsupported(spec);
        PersistedGvisorPod base = new PersistedGvisorPod(id, spec.name(), spec.namespace(), PodNames.hostname(spec),
                Clock.systemUTC().instant(), SandboxState.CREATED, null, spec.netnsPath().toString(),
                PodNames.cgroup(spec, settings.defaultCgroupParent()), settings.podsRunDir().resolve(id).toString(), List.of());
        GvisorPod pod = new GvisorPod(base, env.store());
        GvisorTasks tasks = new GvisorTasks(pod, env);
        // undone on failure: runsc's sandbox, the cgroup, the files and the record
        return createPod(id, tasks, () -> builder.create(pod, spec), () -> {
            builder.teardown(pod);
            env.store().delete(id);
        });
    }

    /** What a gVisor pod cannot have, refused before anything is made, with the option named. */
    private static void refuseUnsupported(SandboxSpec spec) {
        String what = "pod " + spec.namespace() + "/" + spec.name();
        if (spec.namespaces().hostNetwork() || spec.netnsPath() == null) {
            throw SandboxException.invalid(what + ": option 'host network' (namespace_options.network=NODE) is not "
                    + "supported by the gvisor sandboxer: gVisor's netstack needs the pod's own network namespace");
        }
        if (spec.namespaces().hostPid()) {
            throw SandboxException.invalid(what + ": option 'host PID namespace' (namespace_options.pid=NODE) is not "
                    + "supported by the gvisor sandboxer");
        }
        if (spec.namespaces().hostIpc()) {
            throw SandboxException.invalid(what + ": option 'host IPC namespace' (namespace_options.ipc=NODE) is not "
                    + "supported by the gvisor sandboxer");
        }
        if (!Files.exists(spec.netnsPath())) {
            throw SandboxException.invalid(what + ": network namespace " + spec.netnsPath() + " does not exist");
        }
    }

    @Override
    public SandboxReady start(String sandboxId) {
        GvisorTasks tasks = pod(sandboxId);
        GvisorPod pod = tasks.pod();
        synchronized (pod) {
            if (pod.state() == SandboxState.CREATED) {
                pod.sandboxPid(builder.start(pod));
                watchSandbox(tasks);
                pod.state(SandboxState.READY);
            } else if (pod.state() != SandboxState.READY) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "pod " + sandboxId + " is " + pod.state());
            }
        }
        return new SandboxReady(sandboxId, new TaskEndpoint.InProcess(tasks), pod.sandboxPid(), pod.base().createdAt(),
                Map.of("cgroup", pod.cgroup(), "runDir", pod.runDir().toString(), "platform", settings.platform()));
    }

    /** Notices the sandbox's kernel dying on its own (killed, OOM) and reaps it if it is the JVM's child. */
    private void watchSandbox(GvisorTasks tasks) {
        GvisorPod pod = tasks.pod();
        int pid = pod.sandboxPid();
        if (pid <= 0) {
            return;
        }
        try {
            env.children().watch(pid).whenCompleteAsync((event, failure) -> {
                if (failure != null || pods.find(pod.id()) != tasks) {
                    return; // this instance closed (the next watches anew), or the pod is gone
                }
                pod.sandboxPid(0);
                env.children().collectAfterSandboxExit();
                boolean oom = tasks.sandboxOom();
                tasks.sandboxDied(oom);
                synchronized (pod) {
                    if (pod.state() == SandboxState.READY) {
                        LOG.warning("gVisor sandbox of pod " + pod.id() + " exited on its own" + (oom ? " (OOM)" : ""));
                        pod.state(SandboxState.NOT_READY);
                    }
                }
            }, env.exits());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot watch the sandbox process " + pid + " of pod " + pod.id(), e);
        }
    }

    /** Stops every container, then the sandbox's root process, which ends gVisor's kernel for the pod. */
    @Override
    public void stop(String sandboxId, Duration timeout) {
        GvisorTasks tasks = pod(sandboxId);
        GvisorPod pod = tasks.pod();
        tasks.stopAll(timeout == null ? Duration.ZERO : timeout);
        if (pod.state() == SandboxState.STOPPED) {
            return;
        }
        synchronized (pod) {
            pod.stopped(Clock.systemUTC().instant()); // first, so the sandbox's exit is not taken for a crash
        }
        int pid = pod.sandboxPid();
        try {
            env.runsc().cli().kill(pod.id(), Signals.SIGKILL, false);
        } catch (SandboxException e) {
            if (e.reason() != Reason.NOT_FOUND && e.reason() != Reason.FAILED_PRECONDITION) {
                throw e;
            }
        }
        awaitGone(pid, Duration.ofSeconds(10));
        env.children().collect();
    }

    private static void awaitGone(int pid, Duration timeout) {
        if (pid <= 0) {
            return;
        }
        ProcessHandle.of(pid).ifPresent(h -> {
            try {
                h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.log(Level.FINE, "sandbox process " + pid + " still there after " + timeout, e);
            }
        });
    }

    @Override
    public SandboxStatus status(String sandboxId, boolean verbose) {
        GvisorPod pod = pod(sandboxId).pod();
        Map<String, String> info = new LinkedHashMap<>();
        if (verbose) {
            info.put("runtime", "runsc " + runscVersion);
            info.put("platform", settings.platform());
            info.put("cgroup", pod.cgroup());
            info.put("runDir", pod.runDir().toString());
            info.put("netns", pod.base().netnsPath());
            info.put("hostname", pod.base().hostname());
            info.put("containers", Integer.toString(pod.containers().size()));
        }
        return new SandboxStatus(sandboxId, pod.state(), pod.sandboxPid(), pod.base().createdAt(), pod.stoppedAt(), info);
    }

    @Override
    public void shutdown(String sandboxId) {
        GvisorTasks tasks = pods.find(sandboxId);
        if (tasks == null) {
            return;
        }
        GvisorPod pod = tasks.pod();
        if (pod.containers().values().stream().anyMatch(c -> c.status() == TaskStatus.RUNNING
                || c.status() == TaskStatus.PAUSED)) {
            tasks.stopAll(Duration.ZERO);
        }
        try {
            tasks.deleteAll();
            if (pod.state() != SandboxState.STOPPED) {
                pod.stopped(Clock.systemUTC().instant()); // the sandbox's end below is ours, not a crash
            }
            builder.teardown(pod);
        } catch (IOException | RuntimeException e) {
            pod.persist(); // what is left stays recorded, so shutdown can be retried
            throw new SandboxException(e instanceof SandboxException se ? se.reason() : Reason.INTERNAL,
                    "cannot release pod " + sandboxId + ": " + e.getMessage(), e);
        }
        forgetPod(sandboxId, tasks, env.store());
    }

    @Override
    public SandboxerInfo info() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("binary", settings.runscBinary().toString());
        details.put("platform", settings.platform());
        details.put("platforms", String.join(",", platforms));
        if (!settings.flags().isEmpty()) {
            details.put("flags", String.join(" ", settings.flags()));
        }
        details.put("root", settings.runscRoot().toString());
        details.put("pods", Integer.toString(pods.size()));
        if (!unreadable.isEmpty()) {
            details.put("unreadable", String.join("; ", unreadable));
        }
        return new SandboxerInfo("runsc " + runscVersion + " (" + settings.platform() + ")", details);
    }

    /**
     * Stops this instance's waiters, readers, log files and exit watching; every sandbox keeps running and
     * is re-adopted by the next instance.
     */
    @Deactivate
    @Override
    public void close() {
        pods.all().forEach(GvisorTasks::detach);
        pods.clear();
        try {
            env.reaper().close();
            // other sandboxers' reapers in this JVM may have started after ours and rely on the flag that
            // closing ours just cleared: the JVM stays the subreaper; the next instance reaps our orphans
            new Syscalls().setChildSubreaper(true);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the process reaper", e);
        }
        ExitHandlers.shutdown(env.exits());
    }
}
