package io.atrium.sandboxer.runc;

import io.atrium.bindings.cgroup.Cgroups;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.ns.PinMethod;
import io.atrium.bindings.ns.PodNamespaces;
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
import io.atrium.sandboxer.ociruntime.OciRuntime;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.RootfsMounts;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The runc sandboxer: every runc pod of the node, in the node's JVM.
 *
 * <p>A pod is pinned namespaces plus a pod cgroup — no pause container and no per-pod process.
 * Containers are run by the {@code runc} binary with this sandboxer's own {@code --root}; the JVM is
 * their subreaper and watches each by pid, so there is no shim either. Pods are persisted under
 * {@link NodePaths#sandboxerState(String)} and re-adopted when an instance is constructed (after a
 * bundle update or a node restart); {@link #close()} leaves every container running for the next one.
 */
@Component(service = Sandboxer.class, property = Sandboxer.NAME_PROPERTY + "=" + RuncSettings.NAME,
        configurationPid = "io.atrium.sandboxer.runc")
@Designate(ocd = RuncConfig.class)
public final class RuncSandboxer extends OciPodSandboxer<PodTasks> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RuncSandboxer.class.getName());

    private final RuncSettings settings;
    private final RuncEnvironment env;
    private final PodBuilder builder;
    private final String runcVersion;
    private final List<String> unreadable = new ArrayList<>();

    @Activate
    public RuncSandboxer(BundleContext context, RuncConfig config) throws IOException {
        this(RuncSettings.from(new NodePaths(Path.of(context.getProperty(NodePaths.ROOT_PROPERTY)),
                Path.of(context.getProperty(NodePaths.STATE_PROPERTY))), config));
    }

    /** Starts supervising and re-adopts every pod recorded in {@code settings.state()}. */
    public RuncSandboxer(RuncSettings settings) throws IOException {
        this.settings = settings;
        Syscalls sys = new Syscalls();
        Mounts mounts = new Mounts(sys);
        OciRuntime runc = new OciRuntime(new OciRuntime.Settings("runc", settings.runcBinary(), settings.runcRoot(), List.of(),
                settings.runcTimeout()));
        this.runcVersion = runc.version(); // fails activation with a clear reason when runc is missing
        Files.createDirectories(settings.runcRoot());
        Files.createDirectories(settings.state());
        ProcessReaper reaper = new ProcessReaper(sys);
        reaper.start();
        ExecutorService exits = ExitHandlers.executor("atrium-runc-exit-");
        var json = StateStore.mapper();
        ProcessStreams streams = new ProcessStreams(new Fifos(), Clock.systemUTC());
        this.env = new RuncEnvironment(settings, runc, mounts,
                new PodNamespaces(sys, mounts, settings.namespacePins(), PinMethod.THREAD),
                new CgroupTree(Cgroups.detect(sys)), new RootfsMounts(mounts), streams,
                new OciLauncher(runc, streams, settings.consoleDir()),
                new OciSpecAdjuster(json, OciSpecAdjuster.ownOomScoreAdj()),
                new StateStore<>(settings.state().resolve("pods"), PersistedPod.class, RuncEnvironment.STATE_FORMAT,
                        "runc sandboxer"),
                reaper, exits, Clock.systemUTC(), json);
        this.builder = new PodBuilder(env);
        readoptAll();
    }

    @Override
    protected CgroupTree cgroups() {
        return env.cgroups();
    }

    private void readoptAll() throws IOException {
        for (PersistedPod p : env.store().loadAll(unreadable)) {
            RuncPod pod = new RuncPod(p, env.store());
            pod.pins(builder.recoverPins(pod).orElse(null));
            PodTasks tasks = new PodTasks(pod, env);
            pods.put(p.id(), tasks);
            p.containers().forEach(tasks::readopt);
            boolean pinsLost = pod.pins() == null && !(p.hostIpc() && p.hostNetwork());
            if (pinsLost && pod.state() != SandboxState.STOPPED) {
                pod.state(SandboxState.NOT_READY); // the node rebooted: the namespaces are gone
            } else {
                pod.persist();
            }
            LOG.info("re-adopted pod " + p.id() + " (" + p.containers().size() + " containers, " + pod.state() + ")");
        }
    }

    @Override
    public String create(SandboxSpec spec) {
        String id = spec.id();
        PodNames.checkId(id);
        boolean hostNetwork = spec.netnsPath() == null || spec.namespaces().hostNetwork();
        if (!hostNetwork && !Files.exists(spec.netnsPath())) {
            throw SandboxException.invalid("pod " + id + ": network namespace " + spec.netnsPath() + " does not exist");
        }
        String hostname = hostNetwork ? nodeHostname() : PodNames.hostname(spec);
        PersistedPod base = new PersistedPod(id, spec.name(), spec.namespace(), hostname, Clock.systemUTC().instant(),
                SandboxState.CREATED, null, hostNetwork ? null : spec.netnsPath().toString(), hostNetwork,
                spec.namespaces().hostIpc(), PodNames.cgroup(spec, settings.defaultCgroupParent()), true,
                settings.podsRunDir().resolve(id).toString(), spec.sysctls(), List.of());
        RuncPod pod = new RuncPod(base, env.store());
        PodTasks tasks = new PodTasks(pod, env);
        return createPod(id, tasks, () -> builder.build(pod, spec), () -> {
            builder.teardown(pod);
            env.store().delete(id);
        });
    }

    @Override
    public SandboxReady start(String sandboxId) {
        PodTasks tasks = pod(sandboxId);
        RuncPod pod = tasks.pod();
        synchronized (pod) {
            if (pod.state() == SandboxState.CREATED) {
                pod.state(SandboxState.READY);
            } else if (pod.state() != SandboxState.READY) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "pod " + sandboxId + " is " + pod.state());
            }
        }
        return new SandboxReady(sandboxId, new TaskEndpoint.InProcess(tasks), 0, pod.base().createdAt(),
                Map.of("cgroup", pod.cgroup(), "runDir", pod.runDir().toString()));
    }

    @Override
    public void stop(String sandboxId, Duration timeout) {
        PodTasks tasks = pod(sandboxId);
        tasks.stopAll(timeout == null ? Duration.ZERO : timeout);
        if (tasks.pod().state() != SandboxState.STOPPED) {
            tasks.pod().stopped(Clock.systemUTC().instant());
        }
    }

    @Override
    public SandboxStatus status(String sandboxId, boolean verbose) {
        RuncPod pod = pod(sandboxId).pod();
        Map<String, String> info = new LinkedHashMap<>();
        if (verbose) {
            info.put("cgroup", pod.cgroup());
            info.put("runDir", pod.runDir().toString());
            info.put("netns", pod.base().netnsPath() == null ? "host" : pod.base().netnsPath());
            info.put("hostname", pod.base().hostname());
            info.put("containers", Integer.toString(pod.containers().size()));
        }
        return new SandboxStatus(sandboxId, pod.state(), 0, pod.base().createdAt(), pod.stoppedAt(), info);
    }

    @Override
    public void shutdown(String sandboxId) {
        PodTasks tasks = pods.find(sandboxId);
        if (tasks == null) {
            return;
        }
        RuncPod pod = tasks.pod();
        if (pod.containers().values().stream().anyMatch(c -> c.status() != TaskStatus.STOPPED)) {
            tasks.stopAll(Duration.ZERO);
        }
        try {
            tasks.deleteAll();
            builder.teardown(pod);
        } catch (IOException | RuntimeException e) {
            pod.persist(); // what is left stays recorded, so shutdown can be retried
            throw new SandboxException(Reason.INTERNAL, "cannot release pod " + sandboxId + ": " + e.getMessage(), e);
        }
        forgetPod(sandboxId, tasks, env.store());
    }

    @Override
    public SandboxerInfo info() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("binary", settings.runcBinary().toString());
        details.put("root", settings.runcRoot().toString());
        details.put("pods", Integer.toString(pods.size()));
        details.put("cgroups", env.cgroups().controller().version().toString());
        if (!unreadable.isEmpty()) {
            details.put("unreadable", String.join("; ", unreadable));
        }
        return new SandboxerInfo("runc " + runcVersion, details);
    }

    /**
     * Stops this instance's readers, log files and exit watching; every container keeps running and is
     * re-adopted by the next instance.
     */
    @Deactivate
    @Override
    public void close() {
        pods.all().forEach(PodTasks::detach);
        try {
            env.reaper().close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the process reaper", e);
        }
        ExitHandlers.shutdown(env.exits());
    }

    private static String nodeHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
