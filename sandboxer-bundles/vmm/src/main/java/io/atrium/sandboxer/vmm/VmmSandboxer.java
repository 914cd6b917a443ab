package io.atrium.sandboxer.vmm;

import io.atrium.bindings.kvm.KvmProbe;
import io.atrium.bindings.kvm.KvmProbeResult;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.Platform;
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
import io.atrium.sandboxer.vmm.agent.AgentClient;
import io.atrium.sandboxer.vmm.agent.TtrpcAgentClient;
import io.atrium.sandboxer.vmm.qmp.QmpClient;
import io.atrium.sandboxer.vmm.stdio.StdioMux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The microVM sandboxer: every pod in its own QEMU virtual machine, one sandboxer for all of them.
 *
 * <p>QEMU is the VM and the only process per pod: it is driven over QMP, and the engine's container
 * calls go from this JVM over ttrpc straight to the agent inside the guest ({@link PodTasks}), so
 * there is no shim. The pod's CNI network reaches the guest through a tap device mirrored to the CNI
 * interface ({@link TapNetwork}); container root filesystems are ext4 images hot-plugged as
 * virtio-blk disks. VMs are persisted under {@link NodePaths#sandboxerState(String)} and re-adopted
 * (QMP, agent and stdio sockets reconnected) when an instance is constructed, after a bundle update
 * or a node restart; {@link #close()} leaves every VM running for the next instance.
 */
@Component(service = Sandboxer.class, property = Sandboxer.NAME_PROPERTY + "=" + VmmSettings.NAME)
public final class VmmSandboxer implements Sandboxer, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VmmSandboxer.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final VmmSettings settings;
    private final VmEnvironment env;
    private final VmBoot boot;
    private final String accel;
    private final String accelReason;
    private final String qemuVersion;
    private final Map<String, PodTasks> pods = new ConcurrentHashMap<>();
    private final List<String> unreadable = new ArrayList<>();

    @Activate
    public VmmSandboxer(BundleContext context) throws IOException {
        this(VmmSettings.from(new NodePaths(Path.of(context.getProperty(NodePaths.ROOT_PROPERTY)),
                Path.of(context.getProperty(NodePaths.STATE_PROPERTY))), context::getProperty));
    }

    /** Re-adopts every VM recorded under {@code settings.state()}. */
    public VmmSandboxer(VmmSettings settings) throws IOException {
        this(settings, agentSocket -> () -> TtrpcAgentClient.connect(agentSocket));
    }

    VmmSandboxer(VmmSettings settings, java.util.function.Function<Path, VmEnvironment.AgentConnector> agents)
            throws IOException {
        this.settings = settings;
        Files.createDirectories(settings.run());
        AtomicInteger threads = new AtomicInteger();
        ExecutorService waits = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "atrium-vmm-wait-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        var json = VmStore.mapper();
        this.env = new VmEnvironment(settings, new VmStore(settings.state(), json), new TapNetwork(json),
                new RootfsImages(), agents, waits, Clock.systemUTC(), json);
        this.boot = new VmBoot(env);
        this.qemuVersion = qemuVersion(settings.qemuBinary());
        String[] chosen = chooseAccel(settings.accel());
        this.accel = chosen[0];
        this.accelReason = chosen[1];
        readoptAll();
    }

    private static String[] chooseAccel(String configured) {
        if (!configured.equals("auto")) {
            return new String[] {configured, "configured (atrium.vmm.accel)"};
        }
        try {
            KvmProbeResult r = new KvmProbe(new Syscalls()).probe();
            return new String[] {r.recommended() == KvmProbeResult.Accelerator.KVM ? "kvm" : "tcg", r.reason()};
        } catch (RuntimeException | LinkageError e) {
            return new String[] {"tcg", "KVM probe failed: " + e.getMessage()};
        }
    }

    private static String qemuVersion(Path binary) {
        if (!Files.isExecutable(binary)) {
            return null;
        }
        try {
            String out = Commands.run(List.of(binary.toString(), "--version"), 20);
            String first = out.lines().findFirst().orElse("").strip();
            return first.replaceFirst("^QEMU emulator version ", "");
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- re-adoption

    private void readoptAll() throws IOException {
        for (Path file : env.store().files()) {
            PersistedVm r;
            try {
                r = env.store().load(file);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.SEVERE, "cannot re-adopt VM from " + file, e);
                unreadable.add(file.getFileName() + ": " + e.getMessage());
                continue;
            }
            VmPod pod = new VmPod(r, env.store());
            PodTasks tasks = new PodTasks(pod, env);
            pods.put(r.id(), tasks);
            if (r.state() != SandboxState.READY) {
                continue;
            }
            var qemu = QemuProcess.adopt(r.pid(), r.pidStartTime());
            if (qemu.isEmpty()) {
                LOG.warning("VM " + r.id() + " (pid " + r.pid() + ") is gone; its pod is not ready");
                pod.update(x -> x.withState(SandboxState.NOT_READY, env.clock().instant()));
                pod.exitFuture().complete(ExitStatus.unknown(env.clock().instant(), "VMGone"));
                continue;
            }
            QmpClient qmp = null;
            StdioMux mux = null;
            AgentClient agent = null;
            try {
                VmFiles f = pod.files();
                qmp = QmpClient.connect(f.qmp(), env.json(), Duration.ofSeconds(10));
                mux = StdioMux.connect(f.stdio());
                agent = env.agents().apply(f.agent()).connect();
                VmBoot.awaitAgent(agent, qemu.get(), Duration.ofSeconds(15));
                pod.connected(qemu.get(), qmp, agent, mux);
                tasks.readopt();
                watchVm(tasks);
                LOG.info("re-adopted VM " + r.id() + " (pid " + r.pid() + ", " + r.containers().size() + " containers)");
            } catch (IOException | RuntimeException e) {
                // QEMU runs but cannot be reached: leave it running, report the pod not ready so the
                // kubelet replaces it; shutdown kills it
                LOG.log(Level.SEVERE, "VM " + r.id() + " runs (pid " + r.pid() + ") but cannot be reconnected", e);
                for (AutoCloseable c : new AutoCloseable[] {agent, mux, qmp}) {
                    closeQuietly(c);
                }
                pod.connected(qemu.get(), null, null, null);
                pod.update(x -> x.withState(SandboxState.NOT_READY, null));
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public String create(SandboxSpec spec) {
        String id = spec.id();
        if (!ID.matcher(id).matches()) {
            throw SandboxException.invalid("sandbox id must match " + ID + ": " + id);
        }
        if (spec.namespaces().hostNetwork() || spec.namespaces().hostPid() || spec.namespaces().hostIpc()) {
            throw SandboxException.invalid("pod " + id + ": host network, PID or IPC namespaces are not available in a VM "
                    + "(handler vmm); use the runc handler for such pods");
        }
        requireHostPieces();
        Path vmDir = settings.vmDir(id);
        if (pods.containsKey(id)) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "pod " + id + " exists");
        }
        if (Files.exists(vmDir)) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "VM directory " + vmDir + " is in use (id prefix clash)");
        }
        String hostname = spec.hostname() != null && !spec.hostname().isBlank() ? spec.hostname()
                : spec.name() != null && !spec.name().isBlank() ? spec.name() : id.substring(0, Math.min(12, id.length()));
        if (!hostname.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,62}")) {
            throw SandboxException.invalid("pod " + id + ": hostname '" + hostname + "' is not a valid host name");
        }
        Path netns = spec.netnsPath();
        if (netns != null && !Files.exists(netns)) {
            throw SandboxException.invalid("pod " + id + ": network namespace " + netns + " does not exist");
        }
        PersistedVm base = new PersistedVm(id, spec.name(), spec.namespace(), hostname, env.clock().instant(),
                SandboxState.CREATED, null, 0, 0, vmDir.toString(), netns == null ? null : netns.toString(), null,
                VmShape.of(spec.resources(), settings), accel, qemuVersion, Map.of());
        VmPod pod = new VmPod(base, env.store());
        PodTasks tasks = new PodTasks(pod, env);
        if (pods.putIfAbsent(id, tasks) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "pod " + id + " exists");
        }
        boolean done = false;
        try {
            pod.update(x -> x); // persisted first: a crash half-way leaves a record shutdown cleans up from
            Files.createDirectories(pod.files().disks());
            GuestNetwork net = netns == null ? null : env.network().inspect(netns);
            if (net != null) {
                pod.update(x -> new PersistedVm(x.id(), x.name(), x.namespace(), x.hostname(), x.createdAt(), x.state(),
                        x.stoppedAt(), x.pid(), x.pidStartTime(), x.vmDir(), x.netns(), net, x.shape(), x.accel(),
                        x.qemuVersion(), x.containers()));
                env.network().setUp(netns, net);
            }
            done = true;
            return id;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot prepare pod VM " + id + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                release(pod);
                pods.remove(id, tasks);
            }
        }
    }

    private void requireHostPieces() {
        if (qemuVersion == null) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "QEMU " + settings.qemuBinary()
                    + " is missing or does not run (set atrium.vmm.qemu, install qemu-system-x86)");
        }
        for (Path p : List.of(settings.kernel(), settings.initrd())) {
            if (!Files.isReadable(p)) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "guest file " + p + " is missing (set "
                        + "atrium.vmm.guest.dir to the directory with vmlinuz and initramfs.cpio.gz)");
            }
        }
    }

    @Override
    public SandboxReady start(String sandboxId) {
        PodTasks tasks = tasks0(sandboxId);
        VmPod pod = tasks.pod();
        synchronized (pod) {
            if (pod.state() == SandboxState.CREATED) {
                requireHostPieces();
                try {
                    boot.boot(pod);
                } catch (RuntimeException e) {
                    pod.update(x -> x.withState(SandboxState.NOT_READY, env.clock().instant()));
                    throw e;
                }
                pod.update(x -> x.withState(SandboxState.READY, null));
                watchVm(tasks);
                LOG.info("pod VM " + sandboxId + " ready (pid " + pod.record().pid() + ", " + accel + ")");
            } else if (pod.state() != SandboxState.READY) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "pod VM " + sandboxId + " is " + pod.state());
            }
        }
        return new SandboxReady(sandboxId, new TaskEndpoint.InProcess(tasks), pod.record().pid(), pod.record().createdAt(),
                details(pod, true));
    }

    /** When QEMU ends by itself (guest powered off, agent died, crash), the pod stops with it. */
    private void watchVm(PodTasks tasks) {
        VmPod pod = tasks.pod();
        QemuProcess q = pod.qemu();
        q.exited().thenRunAsync(() -> {
            if (pod.detaching() || pod.state() == SandboxState.STOPPED) {
                return;
            }
            Instant at = env.clock().instant();
            LOG.warning("QEMU of pod VM " + pod.id() + " exited on its own" + VmBoot.consoleTail(pod.files()));
            tasks.vmEnded(at);
            pod.closeConnections();
            try {
                pod.stopped(at);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "recording the end of VM " + pod.id(), e);
            }
        }, env.waits());
    }

    @Override
    public Platform platform(String sandboxId) {
        tasks0(sandboxId);
        return Platform.LINUX_AMD64;
    }

    /**
     * Stops the VM: QMP {@code quit}, waiting up to {@code timeout}, then SIGKILL to QEMU; the
     * tap goes too. Disk images and the record stay until {@link #shutdown}.
     */
    @Override
    public void stop(String sandboxId, Duration timeout) {
        PodTasks tasks = tasks0(sandboxId);
        VmPod pod = tasks.pod();
        synchronized (pod) {
            QemuProcess q = pod.qemu();
            if (q != null && q.alive() && pod.qmp() != null) {
                try {
                    // the engine stopped the containers already; QEMU's own clean exit, then a kill if it lingers
                    pod.qmp().execute("quit", null, Duration.ofSeconds(5));
                    q.awaitExit(timeout == null || timeout.isNegative() ? Duration.ZERO : min(timeout, Duration.ofSeconds(5)));
                } catch (IOException e) {
                    // QMP gone already: killing QEMU below is all that is left
                }
            }
            Instant at = env.clock().instant();
            if (q != null) {
                q.kill(KILL_WAIT);
            }
            tasks.vmEnded(at);
            pod.closeConnections();
            removeNetwork(pod);
            if (pod.state() != SandboxState.STOPPED) {
                pod.stopped(at);
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String sandboxId) {
        return tasks0(sandboxId).pod().exitFuture().minimalCompletionStage();
    }

    @Override
    public SandboxStatus status(String sandboxId, boolean verbose) {
        VmPod pod = tasks0(sandboxId).pod();
        PersistedVm r = pod.record();
        return new SandboxStatus(sandboxId, r.state(), r.pid(), r.createdAt(), r.stoppedAt(), verbose ? details(pod, true)
                : Map.of());
    }

    private Map<String, String> details(VmPod pod, boolean all) {
        PersistedVm r = pod.record();
        Map<String, String> info = new LinkedHashMap<>();
        info.put("ttrpc", "ttrpc+unix://" + pod.files().agent());
        if (all) {
            info.put("qmp", pod.files().qmp().toString());
            info.put("console", pod.files().console().toString());
            info.put("accelerator", r.accel());
            info.put("vcpus", Integer.toString(r.shape().vcpus()));
            info.put("memoryMiB", Integer.toString(r.shape().memoryMib()));
            info.put("qemuPid", Long.toString(r.pid()));
            info.put("containers", Integer.toString(r.containers().size()));
            if (r.net() != null) {
                info.put("guestIp", r.net().cidr());
            }
        }
        return info;
    }

    /** Kills QEMU if it still runs and removes the tap, the sockets, the disk images and the record. Idempotent. */
    @Override
    public void shutdown(String sandboxId) {
        PodTasks tasks = pods.get(sandboxId);
        if (tasks == null) {
            return;
        }
        VmPod pod = tasks.pod();
        synchronized (pod) {
            if (pod.qemu() == null && pod.record().pid() > 0) {
                QemuProcess.adopt(pod.record().pid(), pod.record().pidStartTime()).ifPresent(q -> q.kill(KILL_WAIT));
            }
            if (pod.qemu() != null) {
                pod.qemu().kill(KILL_WAIT);
            }
            tasks.vmEnded(env.clock().instant());
            pod.closeConnections();
            try {
                release(pod);
            } catch (RuntimeException e) {
                throw new SandboxException(Reason.INTERNAL, "cannot release pod VM " + sandboxId + ": " + e.getMessage(), e);
            }
            pods.remove(sandboxId, tasks);
            pod.exitFuture().complete(ExitStatus.of(0, env.clock().instant()));
        }
    }

    /** Removes what the VM left on the host: tap and filters, its directory (sockets, console, images) and its record. */
    private void release(VmPod pod) {
        removeNetwork(pod);
        try {
            deleteTree(pod.files().dir());
            env.store().delete(pod.id());
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot remove the files of VM " + pod.id() + ": " + e.getMessage(), e);
        }
    }

    private void removeNetwork(VmPod pod) {
        if (pod.record().netns() != null) {
            try {
                env.network().tearDown(Path.of(pod.record().netns()));
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot remove the tap of VM " + pod.id(), e);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public SandboxMetrics metrics(String sandboxId) {
        VmPod pod = tasks0(sandboxId).pod();
        long pid = pod.record().pid();
        long rss = 0;
        long cpu = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // clock ticks of 10 ms
        } catch (IOException | RuntimeException e) {
            throw new SandboxException(Reason.NOT_FOUND, "no metrics for pod VM " + sandboxId + ": QEMU is not running");
        }
        return new SandboxMetrics(env.clock().instant(), cpu, rss, rss, 1);
    }

    @Override
    public void update(String sandboxId, SandboxUpdate update) {
        tasks0(sandboxId);
        if (update.resources() != null && update.resources() != io.atrium.sandbox.api.Resources.NONE) {
            throw new SandboxException(Reason.UNIMPLEMENTED, "resizing a running pod VM is not supported");
        }
    }

    /**
     * CRI port-forward into the guest: the VM has its own network stack, so the pod netns's loopback
     * (what the engine would dial otherwise) is not the guest's. The connection goes to the guest's
     * address over the pod network, the path a Service's traffic takes too.
     */
    @Override
    public java.nio.channels.ByteChannel portForward(String sandboxId, int port) {
        VmPod pod = tasks0(sandboxId).pod();
        GuestNetwork net = pod.record().net();
        if (net == null) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "pod VM " + sandboxId
                    + " has no network (no CNI interface), so no port of it can be forwarded");
        }
        if (pod.state() != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "pod VM " + sandboxId + " is " + pod.state());
        }
        String ip = net.cidr().substring(0, net.cidr().indexOf('/'));
        try {
            java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
            try {
                ch.socket().connect(new java.net.InetSocketAddress(ip, port), 10_000);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (IOException e) {
            throw new SandboxException(Reason.UNAVAILABLE, "cannot connect to port " + port + " of pod VM " + sandboxId
                    + " at " + ip + ": " + e.getMessage(), e);
        }
    }

    @Override
    public TaskEndpoint tasks(String sandboxId) {
        return new TaskEndpoint.InProcess(tasks0(sandboxId));
    }

    @Override
    public List<SandboxStatus> list() {
        List<SandboxStatus> all = new ArrayList<>();
        for (String id : pods.keySet()) {
            try {
                all.add(status(id, false));
            } catch (SandboxException e) {
                // shut down meanwhile
            }
        }
        return all;
    }

    @Override
    public SandboxerInfo info() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("qemu", settings.qemuBinary() + (qemuVersion == null ? " (missing)" : " " + qemuVersion));
        d.put("accelerator", accel);
        d.put("acceleratorReason", accelReason);
        d.put("guest", settings.guestDir().toString() + (Files.isReadable(settings.kernel()) ? "" : " (missing vmlinuz)"));
        d.put("vms", Integer.toString(pods.size()));
        if (!unreadable.isEmpty()) {
            d.put("unreadable", String.join("; ", unreadable));
        }
        return new SandboxerInfo("QEMU " + (qemuVersion == null ? "unavailable" : qemuVersion) + " " + accel, d);
    }

    /** Closes connections and log files; every VM keeps running and is re-adopted by the next instance. */
    @Deactivate
    @Override
    public void close() {
        for (PodTasks t : pods.values()) {
            t.pod().detach();
            t.detach();
        }
        env.waits().shutdownNow();
        try {
            env.waits().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private PodTasks tasks0(String sandboxId) {
        PodTasks t = sandboxId == null ? null : pods.get(sandboxId);
        if (t == null) {
            throw SandboxException.notFound("sandbox", sandboxId);
        }
        return t;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // best effort
            }
        }
    }
}
