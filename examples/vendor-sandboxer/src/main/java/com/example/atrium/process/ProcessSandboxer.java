package com.example.atrium.process;

import com.example.atrium.process.ContainerLauncher.RunDir;
import com.example.atrium.process.ContainerState.Exited;
import com.example.atrium.process.ContainerState.Running;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.Platform;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxReady;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.SandboxUpdate;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerInfo;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskEvent;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The "process" sandboxer: every container is a plain host process chrooted into its root
 * filesystem. A pod is only a record; no process represents it.
 *
 * <p>Hot-swap contract: every change is persisted before it is answered; on activation the pods
 * on disk are re-adopted (live processes are watched again by pid and start time); on
 * deactivation this instance stops its threads and wakes its waiters but leaves every container
 * running for the next instance.
 */
@Component(service = Sandboxer.class, property = Sandboxer.NAME_PROPERTY + "=" + ProcessSandboxer.NAME)
public final class ProcessSandboxer implements Sandboxer {

    static final String NAME = "process";

    private static final System.Logger LOG = System.getLogger(ProcessSandboxer.class.getName());
    /** Ids become file names, so they must be plain names. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final StateStore store;
    private final Path runRoot;
    private final String version;
    private final ContainerLauncher launcher = new ContainerLauncher();
    private final CriLogShipper shipper = new CriLogShipper();
    private final TaskEvents events = new TaskEvents();
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    /** Exit handlers hold the read side; deactivation takes the write side so none writes after it. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    @Activate
    public ProcessSandboxer(BundleContext context) throws IOException {
        this(nodePaths(context).sandboxerState(NAME), nodePaths(context).sandboxerRun(NAME),
                context.getBundle().getVersion().toString());
    }

    ProcessSandboxer(Path stateDir, Path runRoot, String version) throws IOException {
        this.runRoot = runRoot;
        this.version = version;
        try {
            this.store = new StateStore(stateDir);
            Files.createDirectories(runRoot);
            for (PodRecord r : store.loadAll()) {
                adopt(r);
            }
        } catch (IOException | RuntimeException e) {
            deactivate(); // exit watchers already registered must not write for a failed instance

            throw e;
        }
        LOG.log(Level.INFO, "process sandboxer " + version + " serves " + pods.size() + " pod(s) from " + stateDir);
    }

    private static NodePaths nodePaths(BundleContext context) {
        String root = context.getProperty(NodePaths.ROOT_PROPERTY);
        String state = context.getProperty(NodePaths.STATE_PROPERTY);
        if (root == null || state == null) {
            throw new IllegalStateException("framework properties " + NodePaths.ROOT_PROPERTY + " and "
                    + NodePaths.STATE_PROPERTY + " are not set: not running on an Atrium node");
        }
        return new NodePaths(Path.of(root), Path.of(state));
    }

    /** Takes over one persisted pod: watches its live containers again, settles those that died meanwhile. */
    private void adopt(PodRecord record) {
        Pod pod = new Pod(store, record);
        pods.put(record.id(), pod);
        if (record.state() == SandboxState.STOPPED) {
            pod.podExit().complete(ExitStatus.of(0, record.stoppedAt() == null ? record.createdAt() : record.stoppedAt()));
        }
        for (ContainerRecord c : record.containers().values()) {
            if (c.state() instanceof Exited e) {
                pod.exitOf(c.id()).complete(e.exit());
            } else if (c.state() instanceof Running r) {
                if (c.criLog() != null) {
                    followLogs(pod.id(), c.id(), runDir(pod.id(), c.id()), c.criLog());
                }
                boolean alive = ProcessHandle.of(r.pid())
                        .filter(h -> r.processStart() == null || h.info().startInstant().map(r.processStart()::equals).orElse(false))
                        .map(h -> {
                            watch(pod, c.id(), r.pid(), h.onExit().thenApply(x -> ExitStatus.unknown(Instant.now(),
                                    "exit code not observable: container was re-adopted by process sandboxer " + version)));
                            return true;
                        }).orElse(false);
                if (!alive) {
                    watch(pod, c.id(), r.pid(), CompletableFuture.completedFuture(ExitStatus.unknown(Instant.now(),
                            "container exited while no process sandboxer watched it")));
                }
            }
        }
    }

    /** Records a container's exit once its last output is in the CRI log, then tells waiters and subscribers. */
    void watch(Pod pod, String containerId, long pid, CompletableFuture<ExitStatus> observed) {
        observed.thenCompose(status -> shipper.finish(logKey(pod.id(), containerId, "stdout"))
                        .thenCompose(v -> shipper.finish(logKey(pod.id(), containerId, "stderr")))
                        .thenApply(v -> status))
                .whenComplete((status, error) -> {
                    ExitStatus exit = status != null ? status
                            : ExitStatus.unknown(Instant.now(), "exit not observable: " + error);
                    lifecycle.readLock().lock();
                    try {
                        if (closed) {
                            return; // the next instance re-adopts the container and records its end
                        }
                        pod.update(r -> {
                            ContainerRecord c = r.containers().get(containerId);
                            return c == null || !(c.state() instanceof Running) ? r : r.withContainer(c.withState(new Exited(pid, exit)));
                        });
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "cannot record exit of container " + containerId + ": " + e.getMessage());
                    } finally {
                        lifecycle.readLock().unlock();
                    }
                    pod.exitOf(containerId).complete(exit);
                    events.publish(pod.id(), new TaskEvent.Exited(containerId, "", pid, exit));
                });
    }

    void followLogs(String podId, String containerId, RunDir run, Path criLog) {
        shipper.follow(logKey(podId, containerId, "stdout"), run.rawOutput("stdout"), "stdout", criLog);
        shipper.follow(logKey(podId, containerId, "stderr"), run.rawOutput("stderr"), "stderr", criLog);
    }

    private static String logKey(String podId, String containerId, String stream) {
        return podId + "/" + containerId + "/" + stream;
    }

    RunDir runDir(String podId, String containerId) {
        return new RunDir(runRoot.resolve(podId).resolve(containerId));
    }

    ContainerLauncher launcher() {
        return launcher;
    }

    TaskEvents events() {
        return events;
    }

    static void checkId(String id, String what) {
        if (id == null || !ID.matcher(id).matches()) {
            throw SandboxException.invalid(what + " '" + id + "' must be 1-128 letters, digits, '_', '.' or '-'");
        }
    }

    private Pod pod(String podId) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new SandboxException(Reason.UNAVAILABLE, "process sandboxer " + version + " is shutting down");
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        Pod pod = pods.get(podId);
        if (pod == null) {
            throw SandboxException.notFound("sandbox", podId);
        }
        return pod;
    }

    @Override
    public String create(SandboxSpec spec) {
        checkId(spec.id(), "sandbox id");
        PodRecord record = new PodRecord(spec.id(), spec.name(), spec.namespace(), version, Instant.now(), SandboxState.CREATED,
                null, Map.of());
        Pod pod = new Pod(store, record);
        if (pods.putIfAbsent(spec.id(), pod) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "sandbox " + spec.id() + " already exists");
        }
        try {
            store.save(record);
        } catch (RuntimeException e) {
            pods.remove(spec.id(), pod);
            throw e;
        }
        return spec.id();
    }

    @Override
    public SandboxReady start(String sandboxId) {
        Pod pod = pod(sandboxId);
        PodRecord r = pod.update(p -> {
            if (p.state() == SandboxState.STOPPED) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "sandbox " + sandboxId + " is stopped; create a new one");
            }
            return p.state() == SandboxState.READY ? p : p.withState(SandboxState.READY, null);
        });
        return new SandboxReady(sandboxId, tasks(sandboxId), 0, r.createdAt(), Map.of("servedBy", version));
    }

    @Override
    public Platform platform(String sandboxId) {
        pod(sandboxId);
        String arch = System.getProperty("os.arch");
        return new Platform("linux", "amd64".equals(arch) || "x86_64".equals(arch) ? "amd64"
                : "aarch64".equals(arch) ? "arm64" : arch, "");
    }

    @Override
    public void stop(String sandboxId, Duration timeout) {
        Pod pod = pod(sandboxId);
        List<CompletableFuture<ExitStatus>> exits = new ArrayList<>();
        for (ContainerRecord c : pod.record().containers().values()) {
            if (c.state() instanceof Running r) {
                exits.add(pod.exitOf(c.id()));
                Signals.send(List.of(r.pid()), Signals.SIGTERM);
            }
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new));
        if (!await(all, timeout.toMillis())) {
            for (ContainerRecord c : pod.record().containers().values()) {
                if (c.state() instanceof Running r) {
                    Signals.send(pidsOf(r.pid()), Signals.SIGKILL);
                }
            }
            if (!await(all, 10_000)) {
                throw new SandboxException(Reason.DEADLINE_EXCEEDED, "containers of sandbox " + sandboxId
                        + " did not exit within 10 s of SIGKILL");
            }
        }
        Instant now = Instant.now();
        pod.update(p -> p.state() == SandboxState.STOPPED ? p : p.withState(SandboxState.STOPPED, now));
        pod.podExit().complete(ExitStatus.of(0, now));
    }

    private static boolean await(CompletableFuture<Void> f, long millis) {
        try {
            f.get(Math.max(0, millis), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Reason.UNAVAILABLE, "interrupted while waiting for containers to exit");
        } catch (java.util.concurrent.ExecutionException e) {
            return true; // an abandoned waiter: the exit is somebody else's to record now
        }
    }

    /** The process and everything it started, parents first. */
    static List<Long> pidsOf(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(h -> {
            pids.add(pid);
            h.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String sandboxId) {
        return pod(sandboxId).podExit().minimalCompletionStage();
    }

    @Override
    public SandboxStatus status(String sandboxId, boolean verbose) {
        PodRecord r = pod(sandboxId).record();
        Map<String, String> info = new LinkedHashMap<>();
        info.put("createdBy", r.createdBy());
        info.put("servedBy", version);
        info.put("containers", Integer.toString(r.containers().size()));
        if (verbose) {
            info.put("stateDir", store.dir().toString());
            info.put("runDir", runRoot.resolve(sandboxId).toString());
            r.containers().values().forEach(c -> info.put("container." + c.id(), c.state().status().name().toLowerCase()
                    + (c.state() instanceof Running run ? " pid " + run.pid() : "")));
        }
        return new SandboxStatus(sandboxId, r.state(), 0, r.createdAt(), r.stoppedAt(), info);
    }

    @Override
    public void shutdown(String sandboxId) {
        Pod pod = pods.get(sandboxId);
        if (pod == null) {
            return;
        }
        stop(sandboxId, Duration.ZERO);
        for (ContainerRecord c : pod.record().containers().values()) {
            launcher.release(runDir(sandboxId, c.id()), !c.rootfsMounts().isEmpty());
            pod.update(p -> p.withoutContainer(c.id())); // a retry after a failure skips what is gone
        }
        store.delete(sandboxId);
        pods.remove(sandboxId, pod);
        events.forget(sandboxId);
        try {
            Files.deleteIfExists(runRoot.resolve(sandboxId));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "run directory of sandbox " + sandboxId + " left behind: " + e.getMessage());
        }
    }

    @Override
    public SandboxMetrics metrics(String sandboxId) {
        List<Long> pids = new ArrayList<>();
        for (ContainerRecord c : pod(sandboxId).record().containers().values()) {
            if (c.state() instanceof Running r) {
                pids.addAll(pidsOf(r.pid()));
            }
        }
        ContainerStats s = ProcStats.of(pids);
        return new SandboxMetrics(s.timestamp(), s.cpuUsageNanos(), s.memoryUsageBytes(), s.workingSetBytes(), s.pids());
    }

    @Override
    public void update(String sandboxId, SandboxUpdate update) {
        pod(sandboxId);
        if (update.resources() != null && !Resources.NONE.equals(update.resources())) {
            throw new SandboxException(Reason.UNIMPLEMENTED,
                    "the process sandboxer uses no cgroups, so it cannot apply resource limits to sandbox " + sandboxId);
        }
    }

    @Override
    public TaskEndpoint tasks(String sandboxId) {
        return new TaskEndpoint.InProcess(new ProcessTaskService(this, pod(sandboxId)));
    }

    @Override
    public List<SandboxStatus> list() {
        List<SandboxStatus> all = new ArrayList<>();
        for (String id : pods.keySet()) {
            try {
                all.add(status(id, false));
            } catch (SandboxException e) {
                // removed while listing
            }
        }
        return all;
    }

    @Override
    public SandboxerInfo info() {
        return new SandboxerInfo("host processes in a chroot (util-linux unshare --root); no isolation",
                Map.of("version", version, "stateFormat", Integer.toString(StateStore.FORMAT)));
    }

    /** Stops this instance's threads and wakes its waiters; containers keep running for the next instance. */
    @Deactivate
    void deactivate() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        shipper.close();
        events.clear();
        pods.values().forEach(p -> p.abandonWaiters("process sandboxer " + version + " was deactivated; wait again"));
        LOG.log(Level.INFO, "process sandboxer " + version + " released " + pods.size() + " pod(s) for the next instance");
    }
}
