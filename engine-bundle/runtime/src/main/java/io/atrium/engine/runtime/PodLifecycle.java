package io.atrium.engine.runtime;

import com.google.protobuf.InvalidProtocolBufferException;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.engine.runtime.events.SandboxSubscriptions;
import io.atrium.engine.runtime.network.NetnsPins;
import io.atrium.engine.runtime.network.PodNetwork;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.ContainerStore;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodSandboxStore;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.engine.runtime.validate.PodConfigValidator;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** RunPodSandbox, StopPodSandbox and RemovePodSandbox: everything undone on every failure path. */
final class PodLifecycle {
    private static final Logger LOG = Logger.getLogger(PodLifecycle.class.getName());
    /** How long a sandboxer gets to stop what is left in a pod once its containers were killed. */
    static final Duration SANDBOX_STOP_TIMEOUT = Duration.ofSeconds(10);

    private final SandboxerDirectory directory;
    private final HandlerTable handlers;
    private final PodSandboxStore pods;
    private final ContainerStore containers;
    private final NetnsPins netns;
    private final PodNetwork network;
    private final SandboxSubscriptions subscriptions;
    private final ContainerLifecycle containerLifecycle;

    PodLifecycle(SandboxerDirectory directory, HandlerTable handlers, PodSandboxStore pods, ContainerStore containers,
            NetnsPins netns, PodNetwork network, SandboxSubscriptions subscriptions, ContainerLifecycle containerLifecycle) {
        this.directory = directory;
        this.handlers = handlers;
        this.pods = pods;
        this.containers = containers;
        this.netns = netns;
        this.network = network;
        this.subscriptions = subscriptions;
        this.containerLifecycle = containerLifecycle;
    }

    /** The sandboxer a runtime handler maps to (for metrics labels), or INVALID_ARGUMENT. */
    String sandboxerFor(String runtimeHandler) {
        return handlers.sandboxerFor(runtimeHandler);
    }

    String run(PodSandboxConfig config, String runtimeHandler) {
        PodConfigValidator.validate(config);
        String sandboxerName = handlers.sandboxerFor(runtimeHandler);
        var md = config.getMetadata();
        NamespaceOption nsOpts = config.getLinux().getSecurityContext().getNamespaceOptions();
        boolean hostNetwork = nsOpts.getNetwork() == NamespaceMode.NODE;
        String id = Ids.next();
        PodSandboxRecord record = new PodSandboxRecord(id, md.getName(), md.getNamespace(), md.getUid(), md.getAttempt(),
                handlers.handlerName(runtimeHandler), sandboxerName, PodState.NOTREADY, Clock.nowNanos(), 0,
                config.getHostname(), config.getLogDirectory(), hostNetwork, nsOpts.getPid() == NamespaceMode.NODE,
                nsOpts.getIpc() == NamespaceMode.NODE, null, config.getLabelsMap(), config.getAnnotationsMap(),
                "Creating", config.toByteArray());
        pods.reserveName(record.nameKey(), id);
        Path netnsPath = null;
        boolean persisted = false;
        boolean created = false;
        Sandboxer sandboxer = directory.sandboxer(sandboxerName);
        try {
            if (!config.getLogDirectory().isEmpty()) {
                Files.createDirectories(Path.of(config.getLogDirectory()));
            }
            if (!hostNetwork) {
                netnsPath = netns.pin(id);
                record = record.withNetns(netnsPath.toString());
            }
            // persisted before the sandboxer sees it, so a crash leaves a pod the engine can clean up
            pods.put(record);
            persisted = true;
            if (netnsPath != null) {
                network.setUp(id, netnsPath, config);
            }
            sandboxer.create(sandboxSpec(id, config, netnsPath));
            created = true;
            sandboxer.start(id);
            PodSandboxRecord starting = record;
            pods.update(id, p -> new PodSandboxRecord(p.id(), p.name(), p.namespace(), p.uid(), p.attempt(),
                    p.runtimeHandler(), p.sandboxer(), PodState.READY, p.createdAtNanos(), 0, p.hostname(),
                    p.logDirectory(), p.hostNetwork(), p.hostPid(), p.hostIpc(), starting.netnsPath(), p.labels(),
                    p.annotations(), "", p.config()));
            subscriptions.subscribe(sandboxerName, id);
            LOG.info("pod " + md.getNamespace() + "/" + md.getName() + " ready as " + id + " on " + sandboxerName);
            return id;
        } catch (IOException | RuntimeException e) {
            SandboxException failure = e instanceof SandboxException se ? se
                    : new SandboxException(SandboxException.Reason.INTERNAL,
                            "creating pod " + md.getNamespace() + "/" + md.getName() + " failed: " + e.getMessage(), e);
            undoRun(sandboxer, id, created, netnsPath, config, persisted, record, failure);
            throw failure;
        }
    }

    private void undoRun(Sandboxer sandboxer, String id, boolean created, Path netnsPath, PodSandboxConfig config,
            boolean persisted, PodSandboxRecord record, SandboxException failure) {
        subscriptions.unsubscribe(id);
        if (created) {
            quietly(failure, () -> sandboxer.shutdown(id));
        }
        if (netnsPath != null) {
            Path path = netnsPath;
            quietly(failure, () -> network.tearDown(id, path, config));
            quietly(failure, () -> netns.release(id));
        }
        if (persisted) {
            quietly(failure, () -> pods.remove(record));
        }
        pods.releaseName(record.nameKey());
    }

    private static SandboxSpec sandboxSpec(String id, PodSandboxConfig c, Path netnsPath) {
        var md = c.getMetadata();
        NamespaceOption ns = c.getLinux().getSecurityContext().getNamespaceOptions();
        var dns = new SandboxSpec.DnsConfig(c.getDnsConfig().getServersList(), c.getDnsConfig().getSearchesList(),
                c.getDnsConfig().getOptionsList());
        List<SandboxSpec.PortMapping> ports = c.getPortMappingsList().stream()
                .map(p -> new SandboxSpec.PortMapping(p.getProtocol().name(), p.getContainerPort(), p.getHostPort(),
                        p.getHostIp()))
                .toList();
        return new SandboxSpec(id, md.getName(), md.getNamespace(), md.getUid(), md.getAttempt(),
                c.getHostname().isEmpty() ? md.getName() : c.getHostname(),
                c.getLogDirectory().isEmpty() ? null : Path.of(c.getLogDirectory()), netnsPath,
                new SandboxSpec.NamespaceMode(ns.getNetwork() == NamespaceMode.NODE, ns.getPid() == NamespaceMode.NODE,
                        ns.getIpc() == NamespaceMode.NODE),
                c.getLinux().getCgroupParent(), podResources(c), dns, ports, c.getLinux().getSysctlsMap(),
                c.getLabelsMap(), c.getAnnotationsMap(), null);
    }

    /** Pod-level limits: kubelet's resources plus the runtime overhead. */
    private static Resources podResources(PodSandboxConfig c) {
        if (!c.getLinux().hasResources() && !c.getLinux().hasOverhead()) {
            return Resources.NONE;
        }
        LinuxContainerResources r = c.getLinux().getResources();
        LinuxContainerResources o = c.getLinux().getOverhead();
        long memory = r.getMemoryLimitInBytes() > 0 ? r.getMemoryLimitInBytes() + o.getMemoryLimitInBytes() : 0;
        return new Resources(r.getCpuShares() + o.getCpuShares(), r.getCpuQuota() > 0 ? r.getCpuQuota() + o.getCpuQuota() : 0,
                r.getCpuPeriod(), r.getCpusetCpus(), r.getCpusetMems(), memory, r.getMemorySwapLimitInBytes(), 0,
                0, null, r.getUnifiedMap());
    }

    /** Stops every container, then the sandbox, then releases the network. Idempotent; unknown ids are fine. */
    void stop(String idOrPrefix) {
        var found = pods.resolve(idOrPrefix).flatMap(pods::get);
        if (found.isEmpty()) {
            return; // nothing left to reclaim, which the CRI asks us to treat as success
        }
        PodSandboxRecord pod = found.get();
        for (ContainerRecord c : containers.inPod(pod.id())) {
            containerLifecycle.stop(c.id(), 0);
        }
        if (pod.stoppedAtNanos() == 0) {
            try {
                directory.sandboxer(pod.sandboxer()).stop(pod.id(), SANDBOX_STOP_TIMEOUT);
            } catch (SandboxException e) {
                if (e.reason() != SandboxException.Reason.NOT_FOUND) {
                    throw e;
                }
            }
        }
        releaseNetwork(pod);
        pods.update(pod.id(), p -> p.stopped(Clock.nowNanos(), "").withNetns(null));
    }

    private void releaseNetwork(PodSandboxRecord pod) {
        if (pod.netnsPath() == null) {
            return;
        }
        try {
            network.tearDown(pod.id(), Path.of(pod.netnsPath()), config(pod));
            netns.release(pod.id());
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL,
                    "releasing the network namespace of pod " + pod.id() + " failed: " + e.getMessage(), e);
        }
    }

    /** Stops the pod if needed, removes its containers and every trace of it. Unknown ids are fine. */
    void remove(String idOrPrefix) {
        var found = pods.resolve(idOrPrefix).flatMap(pods::get);
        if (found.isEmpty()) {
            return;
        }
        PodSandboxRecord pod = found.get();
        stop(pod.id());
        for (ContainerRecord c : containers.inPod(pod.id())) {
            containerLifecycle.remove(c.id());
        }
        try {
            directory.sandboxer(pod.sandboxer()).shutdown(pod.id());
        } catch (SandboxException e) {
            if (e.reason() != SandboxException.Reason.NOT_FOUND) {
                throw e;
            }
        }
        subscriptions.unsubscribe(pod.id());
        try {
            netns.release(pod.id()); // also what a crash between pin and persist left behind
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL,
                    "releasing the network namespace of pod " + pod.id() + " failed: " + e.getMessage(), e);
        }
        pods.remove(pod);
        LOG.info("pod " + pod.namespace() + "/" + pod.name() + " (" + pod.id() + ") removed");
    }

    static PodSandboxConfig config(PodSandboxRecord pod) {
        try {
            return pod.config() == null ? PodSandboxConfig.getDefaultInstance() : PodSandboxConfig.parseFrom(pod.config());
        } catch (InvalidProtocolBufferException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL, "stored config of pod " + pod.id() + " is corrupt", e);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void quietly(Exception failure, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failure.addSuppressed(e);
            LOG.log(Level.WARNING, "cleanup after a failed RunPodSandbox failed too", e);
        }
    }
}
