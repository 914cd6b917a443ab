package io.atrium.engine.runtime;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.atrium.engine.runtime.events.ContainerEventBus;
import io.atrium.engine.runtime.events.SandboxSubscriptions;
import io.atrium.engine.cni.PodNetworks;
import io.atrium.engine.runtime.network.CniPodNetwork;
import io.atrium.engine.runtime.network.NetnsPins;
import io.atrium.engine.runtime.network.PodNetwork;
import io.atrium.engine.runtime.spec.OciSpecBuilder;
import io.atrium.engine.runtime.spec.OomScoreAdj;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.ContainerState;
import io.atrium.engine.runtime.state.ContainerStore;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodSandboxStore;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.Snapshotter;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerDirectory;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The engine's pod and container state and the flows that change it, shared by the CRI service
 * and the admin commands. State is reloaded from {@code <root>/engine} on activation (node
 * restart or engine bundle update) and reconciled with each sandboxer when it registers.
 *
 * <p>Events: every READY pod has one task-event subscription. Sandboxer registrations are
 * tracked (by reference only; the engine never calls an instance directly): when a sandboxer
 * registers, including the new instance after a bundle swap, every pod it serves is
 * re-subscribed and then reconciled, so exits that happened while no subscription existed are
 * still recorded.
 */
@Component(service = RuntimeEngine.class, immediate = true)
public final class RuntimeEngine {
    private static final Logger LOG = Logger.getLogger(RuntimeEngine.class.getName());

    final HandlerTable handlers;
    final PodSandboxStore pods;
    final ContainerStore containers;
    final PodNetwork network;
    final ContainerEventBus events = new ContainerEventBus();
    final SandboxerDirectory directory;
    final ImageStore images;
    final PodLifecycle podLifecycle;
    final ContainerLifecycle containerLifecycle;
    final ObjectMapper json = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .build();
    private final SandboxSubscriptions subscriptions;
    /** One thread applies task events and reconciliations in order, off the sandboxers' event threads. */
    private final ExecutorService eventThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "atrium-engine-events");
        t.setDaemon(true);
        return t;
    });
    private volatile String pendingPodCidr = "";

    @Activate
    public RuntimeEngine(BundleContext context, @Reference SandboxerDirectory directory, @Reference ImageStore images,
            @Reference Snapshotter snapshotter, @Reference PodNetworks podNetworks) throws IOException {
        this.directory = directory;
        this.images = images;
        Path root = Path.of(property(context, NodePaths.ROOT_PROPERTY, "/var/lib/atrium"));
        Path state = Path.of(property(context, NodePaths.STATE_PROPERTY, "/run/atrium"));
        this.handlers = HandlerTable.parse(context.getProperty(HandlerTable.HANDLERS_PROPERTY),
                context.getProperty(HandlerTable.DEFAULT_PROPERTY));
        Path engineDir = root.resolve("engine");
        this.pods = new PodSandboxStore(engineDir);
        this.containers = new ContainerStore(engineDir);
        this.network = new CniPodNetwork(podNetworks);
        OomScoreAdj oom = OomScoreAdj.ofThisProcess();
        this.subscriptions = new SandboxSubscriptions(directory,
                (podId, event) -> eventThread.execute(() -> onTaskEvent(podId, event)));
        this.containerLifecycle = new ContainerLifecycle(directory, pods, containers, images, snapshotter,
                new OciSpecBuilder(root.resolve("seccomp"), oom), oom, json, events);
        this.podLifecycle = new PodLifecycle(directory, handlers, pods, containers, new NetnsPins(state), network,
                subscriptions, containerLifecycle);
        LOG.info("engine state loaded from " + engineDir + ": " + pods.all().size() + " pods, "
                + containers.all().size() + " containers; handlers " + handlers.handlers() + ", default "
                + handlers.defaultHandler() + "; oom_score_adj floor " + oom.floor());
    }

    private static String property(BundleContext context, String key, String fallback) {
        String v = context.getProperty(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** A sandboxer (re)registered: re-subscribe its pods and reconcile them, off the DS thread. */
    @Reference(name = "sandboxers", service = Sandboxer.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "sandboxerGone")
    void sandboxerAppeared(ServiceReference<Sandboxer> ref) {
        Object name = ref.getProperty(Sandboxer.NAME_PROPERTY);
        if (name instanceof String n && !n.isBlank()) {
            eventThread.execute(() -> resubscribeAndReconcile(n));
        }
    }

    void sandboxerGone(ServiceReference<Sandboxer> ref) {
        // its subscriptions died with it; the next registration of that name renews them
    }

    private void resubscribeAndReconcile(String sandboxer) {
        for (PodSandboxRecord pod : pods.all()) {
            if (!pod.sandboxer().equals(sandboxer)) {
                continue;
            }
            try {
                reconcilePod(pod);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "reconciling pod " + pod.id() + " with sandboxer " + sandboxer + " failed", e);
            }
        }
    }

    private void reconcilePod(PodSandboxRecord pod) {
        if (pod.state() == PodState.READY) {
            SandboxStatus status;
            try {
                status = directory.sandboxer(pod.sandboxer()).status(pod.id(), false);
            } catch (SandboxException e) {
                if (e.reason() != SandboxException.Reason.NOT_FOUND) {
                    throw e;
                }
                status = null;
            }
            if (status == null || status.state() == SandboxState.STOPPED || status.state() == SandboxState.NOT_READY) {
                String seen = status == null ? "gone" : status.state().name();
                pods.update(pod.id(), p -> p.stopped(Clock.nowNanos(),
                        "SandboxExited: the sandboxer reports the sandbox as " + seen));
                LOG.warning("pod " + pod.id() + " is no longer running on " + pod.sandboxer());
            } else {
                subscriptions.subscribe(pod.sandboxer(), pod.id());
            }
        }
        for (ContainerRecord c : containers.inPod(pod.id())) {
            if (!c.state().isRunning()) {
                continue;
            }
            try {
                TaskInfo info = directory.tasks(pod.sandboxer(), pod.id()).state(c.id(), null);
                if (info.status() == TaskStatus.STOPPED) {
                    containerLifecycle.applyExit(c.id(), info.exit() != null ? info.exit()
                            : ExitStatus.unknown(Instant.now(), "Unknown"));
                }
            } catch (SandboxException e) {
                if (e.reason() != SandboxException.Reason.NOT_FOUND) {
                    throw e;
                }
                containerLifecycle.applyExit(c.id(), ExitStatus.unknown(Instant.now(), "Unknown"));
            }
        }
    }

    private void onTaskEvent(String podId, TaskEvent event) {
        try {
            if (event instanceof TaskEvent.OutOfMemory oom) {
                containerLifecycle.markOom(oom.containerId());
            } else if (event instanceof TaskEvent.Exited exited && (exited.execId() == null || exited.execId().isEmpty())) {
                if (containers.get(exited.containerId()).map(c -> c.podSandboxId().equals(podId)).orElse(false)) {
                    containerLifecycle.applyExit(exited.containerId(), exited.status());
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "applying " + event + " of pod " + podId + " failed", e);
        }
    }

    /** Rows for {@code atrium pods}. */
    public List<Map<String, Object>> podRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        pods.all().stream().sorted(Comparator.comparingLong(PodSandboxRecord::createdAtNanos)).forEach(p -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", p.id().substring(0, 13));
            row.put("name", p.namespace() + "/" + p.name());
            row.put("attempt", p.attempt());
            row.put("state", p.state().name());
            row.put("sandboxer", p.sandboxer());
            row.put("containers", containers.inPod(p.id()).size());
            row.put("created", Instant.ofEpochSecond(0, p.createdAtNanos()).toString());
            rows.add(row);
        });
        return rows;
    }

    /** Rows for {@code atrium ps}. */
    public List<Map<String, Object>> containerRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        containers.all().stream().sorted(Comparator.comparingLong(ContainerRecord::createdAtNanos)).forEach(c -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", c.id().substring(0, 13));
            row.put("name", c.name());
            row.put("pod", pods.get(c.podSandboxId()).map(p -> p.namespace() + "/" + p.name()).orElse(c.podSandboxId()));
            row.put("image", c.image());
            row.put("state", ContainerLifecycle.stateName(c.state()));
            if (c.state() instanceof ContainerState.Exited e) {
                row.put("exit", e.exitCode());
            }
            row.put("created", Instant.ofEpochSecond(0, c.createdAtNanos()).toString());
            rows.add(row);
        });
        return rows;
    }

    boolean isRunning(ContainerRecord c) {
        return c.state() instanceof ContainerState.Running;
    }

    void setPodCidr(String cidr) {
        pendingPodCidr = cidr == null ? "" : cidr;
    }

    String podCidr() {
        return pendingPodCidr;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        subscriptions.closeAll();
        eventThread.shutdownNow();
        eventThread.awaitTermination(5, TimeUnit.SECONDS);
    }
}
