package io.atrium.engine.runtime;

import io.atrium.cri.v1.*;
import io.atrium.engine.runtime.events.ContainerEvent;
import io.atrium.engine.runtime.metrics.CriMetrics;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.engine.streaming.StreamingServer;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxStatus;
import io.grpc.BindableService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import com.google.protobuf.ByteString;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The CRI RuntimeService: a thin adapter that validates, delegates to the engine and translates
 * failures in one place ({@link CriErrors}). Served on the node socket by the CRI server as the
 * {@code cri.service=runtime} whiteboard service.
 */
@Component(service = BindableService.class, property = "cri.service=runtime")
public final class CriRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    private static final Logger LOG = Logger.getLogger(CriRuntimeService.class.getName());
    static final String RUNTIME_NAME = "atrium";
    static final String API_VERSION = "v1";

    private final RuntimeEngine engine;
    private final StreamRequests streamRequests;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CriMetrics metrics;
    /** Serves the URLs of Exec, Attach and PortForward; optional so a streaming bundle update never stops the CRI. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile StreamingServer streaming;

    @Activate
    public CriRuntimeService(@Reference RuntimeEngine engine) {
        this.engine = engine;
        this.streamRequests = new StreamRequests(engine);
    }

    private StreamingServer streaming() {
        StreamingServer s = streaming;
        if (s == null) {
            throw new SandboxException(SandboxException.Reason.UNAVAILABLE, "the streaming server is not running");
        }
        return s;
    }

    /** A unary call's body; it may name the sandboxer it used for the metrics label. */
    private interface Body<T> {
        T run(String[] sandboxer) throws Exception;
    }

    private <T> void unary(String method, StreamObserver<T> out, Body<T> body) {
        long start = System.nanoTime();
        String[] sandboxer = {""};
        String code = "OK";
        try {
            T response = body.run(sandboxer);
            out.onNext(response);
            out.onCompleted();
        } catch (Exception | Error e) {
            var status = CriErrors.toStatus(method, e);
            code = status.getStatus().getCode().name();
            out.onError(status);
        } finally {
            CriMetrics m = metrics;
            if (m != null) {
                m.record(method, sandboxer[0], code, System.nanoTime() - start);
            }
        }
    }

    private String podSandboxer(String podId) {
        return engine.pods.resolve(podId).flatMap(engine.pods::get).map(PodSandboxRecord::sandboxer).orElse("");
    }

    private String containerSandboxer(String containerId) {
        return engine.containers.resolve(containerId).flatMap(engine.containers::get)
                .map(c -> podSandboxer(c.podSandboxId())).orElse("");
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
        unary("Version", out, s -> VersionResponse.newBuilder().setVersion("0.1.0").setRuntimeName(RUNTIME_NAME)
                .setRuntimeVersion(runtimeVersion()).setRuntimeApiVersion(API_VERSION).build());
    }

    private static String runtimeVersion() {
        String v = CriRuntimeService.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0" : v;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        unary("Status", out, s -> {
            String def = engine.handlers.sandboxerFor("");
            boolean ready = engine.directory.names().contains(def);
            var net = engine.network.readiness();
            StatusResponse.Builder b = StatusResponse.newBuilder().setStatus(RuntimeStatus.newBuilder()
                    .addConditions(RuntimeCondition.newBuilder().setType("RuntimeReady").setStatus(ready)
                            .setReason(ready ? "" : "SandboxerNotRegistered")
                            .setMessage(ready ? "" : "the default sandboxer '" + def + "' is not registered"))
                    .addConditions(RuntimeCondition.newBuilder().setType("NetworkReady").setStatus(net.ready())
                            .setReason(net.reason()).setMessage(net.message())));
            engine.handlers.handlers().forEach((handler, sandboxer) -> b.addRuntimeHandlers(RuntimeHandler.newBuilder()
                    .setName(handler).setFeatures(RuntimeHandlerFeatures.newBuilder())));
            if (request.getVerbose()) {
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("handlers", engine.handlers.handlers());
                info.put("defaultHandler", engine.handlers.defaultHandler());
                info.put("sandboxers", engine.directory.names());
                info.put("podCidr", engine.podCidr());
                b.putInfo("config", engine.json.writeValueAsString(info));
            }
            return b.build();
        });
    }

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> out) {
        unary("RunPodSandbox", out, s -> {
            s[0] = engine.podLifecycle.sandboxerFor(request.getRuntimeHandler());
            String id = engine.podLifecycle.run(request.getConfig(), request.getRuntimeHandler());
            return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
        });
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> out) {
        unary("StopPodSandbox", out, s -> {
            s[0] = podSandboxer(request.getPodSandboxId());
            engine.podLifecycle.stop(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return StopPodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> out) {
        unary("RemovePodSandbox", out, s -> {
            s[0] = podSandboxer(request.getPodSandboxId());
            engine.podLifecycle.remove(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return RemovePodSandboxResponse.getDefaultInstance();
        });
    }

    private static String required(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw SandboxException.invalid(field + " is required");
        }
        return value;
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> out) {
        unary("PodSandboxStatus", out, s -> {
            PodSandboxRecord pod = engine.pods.require(request.getPodSandboxId());
            s[0] = pod.sandboxer();
            PodSandboxStatusResponse.Builder b = PodSandboxStatusResponse.newBuilder()
                    .setStatus(CriStatuses.podStatus(pod)).setTimestamp(Clock.nowNanos());
            if (!pod.hostNetwork()) {
                var net = engine.network.attachment(pod.id());
                b.getStatusBuilder().getNetworkBuilder().setIp(net.ip()).addAllAdditionalIps(net.additionalIps().stream()
                        .map(ip -> io.atrium.cri.v1.PodIP.newBuilder().setIp(ip).build()).toList());
            }
            engine.containers.inPod(pod.id()).stream().sorted(Comparator.comparingLong(ContainerRecord::createdAtNanos))
                    .forEach(c -> b.addContainersStatuses(CriStatuses.containerStatus(c)));
            if (request.getVerbose()) {
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("id", pod.id());
                info.put("sandboxer", pod.sandboxer());
                info.put("runtimeHandler", pod.runtimeHandler());
                info.put("netnsPath", pod.netnsPath());
                info.put("reason", pod.reason());
                info.put("hostname", pod.hostname());
                info.put("logDirectory", pod.logDirectory());
                if (pod.state() == PodState.READY) {
                    try {
                        SandboxStatus st = engine.directory.sandboxer(pod.sandboxer()).status(pod.id(), true);
                        info.put("sandboxState", st.state().name());
                        info.put("sandboxPid", st.pid());
                        info.put("sandboxInfo", st.info());
                    } catch (SandboxException e) {
                        info.put("sandboxError", e.getMessage());
                    }
                }
                b.putInfo("info", engine.json.writeValueAsString(info));
            }
            return b.build();
        });
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> out) {
        unary("ListPodSandbox", out, s -> {
            ListPodSandboxResponse.Builder b = ListPodSandboxResponse.newBuilder();
            engine.pods.all().stream().filter(CriFilters.pods(request.getFilter()))
                    .sorted(Comparator.comparingLong(PodSandboxRecord::createdAtNanos))
                    .forEach(p -> b.addItems(CriStatuses.pod(p)));
            return b.build();
        });
    }

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> out) {
        unary("CreateContainer", out, s -> {
            s[0] = podSandboxer(request.getPodSandboxId());
            String id = engine.containerLifecycle.create(required(request.getPodSandboxId(), "pod_sandbox_id"),
                    request.getConfig(), request.getSandboxConfig());
            return CreateContainerResponse.newBuilder().setContainerId(id).build();
        });
    }

    @Override
    public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> out) {
        unary("StartContainer", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            engine.containerLifecycle.start(request.getContainerId());
            return StartContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> out) {
        unary("StopContainer", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            if (request.getTimeout() < 0) {
                throw SandboxException.invalid("timeout must not be negative");
            }
            engine.containerLifecycle.stop(request.getContainerId(), request.getTimeout());
            return StopContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> out) {
        unary("RemoveContainer", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            engine.containerLifecycle.remove(required(request.getContainerId(), "container_id"));
            return RemoveContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> out) {
        unary("ListContainers", out, s -> {
            ListContainersResponse.Builder b = ListContainersResponse.newBuilder();
            engine.containers.all().stream().filter(CriFilters.containers(request.getFilter()))
                    .sorted(Comparator.comparingLong(ContainerRecord::createdAtNanos))
                    .forEach(c -> b.addContainers(CriStatuses.container(c)));
            return b.build();
        });
    }

    @Override
    public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> out) {
        unary("ContainerStatus", out, s -> {
            ContainerRecord c = engine.containers.require(request.getContainerId());
            s[0] = podSandboxer(c.podSandboxId());
            ContainerStatusResponse.Builder b = ContainerStatusResponse.newBuilder()
                    .setStatus(CriStatuses.containerStatus(c));
            if (request.getVerbose()) {
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("id", c.id());
                info.put("sandboxId", c.podSandboxId());
                info.put("sandboxer", s[0]);
                info.put("image", c.image());
                info.put("imageId", c.imageId());
                info.put("state", c.state());
                info.put("runtimeSpec", engine.json.readTree(c.ociSpecJson()));
                b.putInfo("info", engine.json.writeValueAsString(info));
            }
            return b.build();
        });
    }

    @Override
    public void updateContainerResources(UpdateContainerResourcesRequest request,
            StreamObserver<UpdateContainerResourcesResponse> out) {
        unary("UpdateContainerResources", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            engine.containerLifecycle.updateResources(request.getContainerId(), request.getLinux());
            return UpdateContainerResourcesResponse.getDefaultInstance();
        });
    }

    @Override
    public void reopenContainerLog(ReopenContainerLogRequest request, StreamObserver<ReopenContainerLogResponse> out) {
        unary("ReopenContainerLog", out, s -> {
            ContainerRecord c = engine.containers.require(request.getContainerId());
            if (!c.state().isRunning()) {
                throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                        "container " + c.id() + " is not running");
            }
            s[0] = podSandboxer(c.podSandboxId());
            engine.containerLifecycle.reopenLog(c);
            return ReopenContainerLogResponse.getDefaultInstance();
        });
    }

    @Override
    public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> out) {
        unary("ExecSync", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            if (request.getTimeout() < 0) {
                throw SandboxException.invalid("timeout must not be negative");
            }
            var r = engine.containerLifecycle.execSync(request.getContainerId(), request.getCmdList(), request.getTimeout());
            return ExecSyncResponse.newBuilder().setStdout(ByteString.copyFrom(r.stdout()))
                    .setStderr(ByteString.copyFrom(r.stderr())).setExitCode(r.exitCode()).build();
        });
    }

    @Override
    public void exec(ExecRequest request, StreamObserver<ExecResponse> out) {
        unary("Exec", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            var target = streamRequests.exec(request);
            return ExecResponse.newBuilder().setUrl(streaming().exec(target)).build();
        });
    }

    @Override
    public void attach(AttachRequest request, StreamObserver<AttachResponse> out) {
        unary("Attach", out, s -> {
            s[0] = containerSandboxer(request.getContainerId());
            var target = streamRequests.attach(request);
            return AttachResponse.newBuilder().setUrl(streaming().attach(target)).build();
        });
    }

    @Override
    public void portForward(PortForwardRequest request, StreamObserver<PortForwardResponse> out) {
        unary("PortForward", out, s -> {
            s[0] = podSandboxer(request.getPodSandboxId());
            var target = streamRequests.portForward(request);
            return PortForwardResponse.newBuilder().setUrl(streaming().portForward(target)).build();
        });
    }

    private io.atrium.cri.v1.ContainerStats statsOf(ContainerRecord c) {
        if (!c.state().isRunning()) {
            return CriStatuses.stats(c, null);
        }
        try {
            return CriStatuses.stats(c, engine.containerLifecycle.stats(c));
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "stats of " + c.id(), e);
            return CriStatuses.stats(c, null);
        }
    }

    @Override
    public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> out) {
        unary("ContainerStats", out, s -> {
            ContainerRecord c = engine.containers.require(request.getContainerId());
            s[0] = podSandboxer(c.podSandboxId());
            if (!c.state().isRunning()) {
                return ContainerStatsResponse.newBuilder().setStats(CriStatuses.stats(c, null)).build();
            }
            return ContainerStatsResponse.newBuilder()
                    .setStats(CriStatuses.stats(c, engine.containerLifecycle.stats(c))).build();
        });
    }

    @Override
    public void listContainerStats(ListContainerStatsRequest request, StreamObserver<ListContainerStatsResponse> out) {
        unary("ListContainerStats", out, s -> {
            ListContainerStatsResponse.Builder b = ListContainerStatsResponse.newBuilder();
            engine.containers.all().stream().filter(CriFilters.containerStats(request.getFilter()))
                    .filter(c -> c.state().isRunning()).forEach(c -> b.addStats(statsOf(c)));
            return b.build();
        });
    }

    private PodSandboxStats podStats(PodSandboxRecord p) {
        PodSandboxStats.Builder b = PodSandboxStats.newBuilder().setAttributes(PodSandboxAttributes.newBuilder()
                .setId(p.id()).setMetadata(CriStatuses.podMetadata(p)).putAllLabels(p.labels())
                .putAllAnnotations(p.annotations()));
        LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder();
        if (p.state() == PodState.READY) {
            SandboxMetrics m = engine.directory.sandboxer(p.sandboxer()).metrics(p.id());
            long ts = Clock.nanos(m.timestamp());
            linux.setCpu(CpuUsage.newBuilder().setTimestamp(ts).setUsageCoreNanoSeconds(CriStatuses.u64(m.cpuUsageNanos())))
                    .setMemory(MemoryUsage.newBuilder().setTimestamp(ts).setUsageBytes(CriStatuses.u64(m.memoryUsageBytes()))
                            .setWorkingSetBytes(CriStatuses.u64(m.memoryWorkingSetBytes())))
                    .setProcess(ProcessUsage.newBuilder().setTimestamp(ts).setProcessCount(CriStatuses.u64(m.pids())));
        }
        engine.containers.inPod(p.id()).stream().filter(c -> c.state().isRunning())
                .forEach(c -> linux.addContainers(statsOf(c)));
        return b.setLinux(linux).build();
    }

    @Override
    public void podSandboxStats(PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> out) {
        unary("PodSandboxStats", out, s -> {
            PodSandboxRecord p = engine.pods.require(request.getPodSandboxId());
            s[0] = p.sandboxer();
            return PodSandboxStatsResponse.newBuilder().setStats(podStats(p)).build();
        });
    }

    @Override
    public void listPodSandboxStats(ListPodSandboxStatsRequest request, StreamObserver<ListPodSandboxStatsResponse> out) {
        unary("ListPodSandboxStats", out, s -> {
            ListPodSandboxStatsResponse.Builder b = ListPodSandboxStatsResponse.newBuilder();
            for (PodSandboxRecord p : engine.pods.all()) {
                if (p.state() == PodState.READY && CriFilters.podStats(request.getFilter()).test(p)) {
                    try {
                        b.addStats(podStats(p));
                    } catch (SandboxException e) {
                        LOG.log(Level.FINE, "stats of pod " + p.id(), e);
                    }
                }
            }
            return b.build();
        });
    }

    @Override
    public void updateRuntimeConfig(UpdateRuntimeConfigRequest request, StreamObserver<UpdateRuntimeConfigResponse> out) {
        unary("UpdateRuntimeConfig", out, s -> {
            // kept for the CNI seam: the pod CIDR goes to the network plugin once there is one
            engine.setPodCidr(request.getRuntimeConfig().getNetworkConfig().getPodCidr());
            return UpdateRuntimeConfigResponse.getDefaultInstance();
        });
    }

    @Override
    public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> out) {
        unary("RuntimeConfig", out, s -> RuntimeConfigResponse.newBuilder().setLinux(
                LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(CgroupDriver.CGROUPFS)).build());
    }

    @Override
    public void listMetricDescriptors(ListMetricDescriptorsRequest request,
            StreamObserver<ListMetricDescriptorsResponse> out) {
        // no pod metrics beyond the stats calls yet: an empty list tells kubelet there is nothing to scrape
        unary("ListMetricDescriptors", out, s -> ListMetricDescriptorsResponse.getDefaultInstance());
    }

    @Override
    public void listPodSandboxMetrics(ListPodSandboxMetricsRequest request,
            StreamObserver<ListPodSandboxMetricsResponse> out) {
        unary("ListPodSandboxMetrics", out, s -> ListPodSandboxMetricsResponse.getDefaultInstance());
    }

    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> out) {
        ServerCallStreamObserver<ContainerEventResponse> stream = (ServerCallStreamObserver<ContainerEventResponse>) out;
        AutoCloseable[] registration = new AutoCloseable[1];
        registration[0] = engine.events.listen(event -> {
            ContainerEventResponse response = eventResponse(event);
            synchronized (stream) {
                if (stream.isCancelled()) {
                    throw new IllegalStateException("stream cancelled");
                }
                stream.onNext(response);
            }
        });
        stream.setOnCancelHandler(() -> {
            try {
                registration[0].close();
            } catch (Exception e) {
                LOG.log(Level.FINE, "closing an event stream", e);
            }
        });
    }

    private ContainerEventResponse eventResponse(ContainerEvent event) {
        ContainerEventResponse.Builder b = ContainerEventResponse.newBuilder().setContainerId(event.containerId())
                .setCreatedAt(event.atNanos()).setContainerEventType(switch (event.type()) {
                    case CREATED -> ContainerEventType.CONTAINER_CREATED_EVENT;
                    case STARTED -> ContainerEventType.CONTAINER_STARTED_EVENT;
                    case STOPPED -> ContainerEventType.CONTAINER_STOPPED_EVENT;
                    case DELETED -> ContainerEventType.CONTAINER_DELETED_EVENT;
                });
        engine.pods.get(event.podSandboxId()).ifPresent(p -> b.setPodSandboxStatus(CriStatuses.podStatus(p)));
        List<ContainerRecord> inPod = engine.containers.inPod(event.podSandboxId());
        inPod.forEach(c -> b.addContainersStatuses(CriStatuses.containerStatus(c)));
        return b.build();
    }
}
