package io.atrium.engine.runtime;

import io.atrium.cri.v1.Container;
import io.atrium.cri.v1.ContainerAttributes;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.ContainerResources;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatus;
import io.atrium.cri.v1.ContainerUser;
import io.atrium.cri.v1.CpuUsage;
import io.atrium.cri.v1.HugepageLimit;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.LinuxContainerUser;
import io.atrium.cri.v1.LinuxPodSandboxStatus;
import io.atrium.cri.v1.MemoryUsage;
import io.atrium.cri.v1.Mount;
import io.atrium.cri.v1.MountPropagation;
import io.atrium.cri.v1.Namespace;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandbox;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.cri.v1.PodSandboxNetworkStatus;
import io.atrium.cri.v1.PodSandboxState;
import io.atrium.cri.v1.PodSandboxStatus;
import io.atrium.cri.v1.Signal;
import io.atrium.cri.v1.UInt64Value;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodState;

/** Engine records as CRI messages. */
final class CriStatuses {
    private CriStatuses() {}

    static PodSandboxState podState(PodSandboxRecord p) {
        return p.state() == PodState.READY ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
    }

    static PodSandboxMetadata podMetadata(PodSandboxRecord p) {
        return PodSandboxMetadata.newBuilder().setName(p.name()).setNamespace(p.namespace()).setUid(p.uid())
                .setAttempt(p.attempt()).build();
    }

    static PodSandbox pod(PodSandboxRecord p) {
        return PodSandbox.newBuilder().setId(p.id()).setMetadata(podMetadata(p)).setState(podState(p))
                .setCreatedAt(p.createdAtNanos()).putAllLabels(p.labels()).putAllAnnotations(p.annotations())
                .setRuntimeHandler(p.runtimeHandler()).build();
    }

    static PodSandboxStatus podStatus(PodSandboxRecord p) {
        NamespaceOption ns = NamespaceOption.newBuilder()
                .setNetwork(p.hostNetwork() ? NamespaceMode.NODE : NamespaceMode.POD)
                .setPid(p.hostPid() ? NamespaceMode.NODE : NamespaceMode.CONTAINER)
                .setIpc(p.hostIpc() ? NamespaceMode.NODE : NamespaceMode.POD).build();
        return PodSandboxStatus.newBuilder().setId(p.id()).setMetadata(podMetadata(p)).setState(podState(p))
                .setCreatedAt(p.createdAtNanos()).setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(""))
                .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(Namespace.newBuilder().setOptions(ns)))
                .putAllLabels(p.labels()).putAllAnnotations(p.annotations()).setRuntimeHandler(p.runtimeHandler())
                .build();
    }

    static ContainerState containerState(ContainerRecord c) {
        var s = c.state();
        if (s instanceof io.atrium.engine.runtime.state.ContainerState.Created) {
            return ContainerState.CONTAINER_CREATED;
        }
        return s.isRunning() ? ContainerState.CONTAINER_RUNNING : ContainerState.CONTAINER_EXITED;
    }

    static ContainerMetadata containerMetadata(ContainerRecord c) {
        return ContainerMetadata.newBuilder().setName(c.name()).setAttempt(c.attempt()).build();
    }

    static ImageSpec image(ContainerRecord c) {
        return ImageSpec.newBuilder().setImage(c.image()).build();
    }

    static Container container(ContainerRecord c) {
        return Container.newBuilder().setId(c.id()).setPodSandboxId(c.podSandboxId()).setMetadata(containerMetadata(c))
                .setImage(image(c)).setImageRef(c.imageRef()).setImageId(c.imageId()).setState(containerState(c))
                .setCreatedAt(c.createdAtNanos()).putAllLabels(c.labels()).putAllAnnotations(c.annotations()).build();
    }

    static ContainerStatus containerStatus(ContainerRecord c) {
        ContainerStatus.Builder b = ContainerStatus.newBuilder().setId(c.id()).setMetadata(containerMetadata(c))
                .setState(containerState(c)).setCreatedAt(c.createdAtNanos()).setImage(image(c))
                .setImageRef(c.imageRef()).setImageId(c.imageId()).putAllLabels(c.labels())
                .putAllAnnotations(c.annotations()).setLogPath(c.logPath())
                .setResources(ContainerResources.newBuilder().setLinux(resources(c.resources())))
                .setUser(ContainerUser.newBuilder().setLinux(LinuxContainerUser.newBuilder().setUid(c.user().uid())
                        .setGid(c.user().gid()).addAllSupplementalGroups(c.user().supplementalGroups())));
        b.setStopSignal(signal(c.stopSignal()));
        for (ContainerRecord.MountRecord m : c.mounts()) {
            b.addMounts(Mount.newBuilder().setContainerPath(m.containerPath()).setHostPath(m.hostPath())
                    .setReadonly(m.readonly()).setPropagation(MountPropagation.valueOf(m.propagation())));
        }
        var s = c.state();
        if (s instanceof io.atrium.engine.runtime.state.ContainerState.Running r) {
            b.setStartedAt(r.startedAtNanos());
        } else if (s instanceof io.atrium.engine.runtime.state.ContainerState.Exited e) {
            b.setStartedAt(e.startedAtNanos()).setFinishedAt(e.finishedAtNanos()).setExitCode(e.exitCode())
                    .setReason(e.reason()).setMessage(e.message() == null ? "" : e.message());
        }
        return b.build();
    }

    /** The CRI enum names signals, in its own order; find the one with this number. */
    static Signal signal(int number) {
        for (Signal s : Signal.values()) {
            if (s != Signal.RUNTIME_DEFAULT && s != Signal.UNRECOGNIZED) {
                try {
                    if (io.atrium.engine.runtime.spec.Signals.parse(s.name()) == number) {
                        return s;
                    }
                } catch (RuntimeException unknownName) {
                    // a name this table does not know; keep looking
                }
            }
        }
        return Signal.RUNTIME_DEFAULT;
    }

    static LinuxContainerResources resources(ContainerRecord.ResourcesRecord r) {
        LinuxContainerResources.Builder b = LinuxContainerResources.newBuilder().setCpuPeriod(r.cpuPeriod())
                .setCpuQuota(r.cpuQuota()).setCpuShares(r.cpuShares()).setMemoryLimitInBytes(r.memoryLimitBytes())
                .setOomScoreAdj(r.oomScoreAdj()).setCpusetCpus(r.cpusetCpus()).setCpusetMems(r.cpusetMems())
                .putAllUnified(r.unified()).setMemorySwapLimitInBytes(r.memorySwapLimitBytes());
        r.hugepageLimits().forEach((size, limit) -> b.addHugepageLimits(HugepageLimit.newBuilder().setPageSize(size).setLimit(limit)));
        return b.build();
    }

    static ContainerAttributes attributes(ContainerRecord c) {
        return ContainerAttributes.newBuilder().setId(c.id()).setMetadata(containerMetadata(c)).putAllLabels(c.labels())
                .putAllAnnotations(c.annotations()).build();
    }

    static io.atrium.cri.v1.ContainerStats stats(ContainerRecord c, io.atrium.sandbox.api.ContainerStats s) {
        io.atrium.cri.v1.ContainerStats.Builder b = io.atrium.cri.v1.ContainerStats.newBuilder().setAttributes(attributes(c));
        if (s != null) {
            long ts = Clock.nanos(s.timestamp());
            b.setCpu(CpuUsage.newBuilder().setTimestamp(ts).setUsageCoreNanoSeconds(u64(s.cpuUsageNanos())));
            b.setMemory(MemoryUsage.newBuilder().setTimestamp(ts).setWorkingSetBytes(u64(s.workingSetBytes()))
                    .setUsageBytes(u64(s.memoryUsageBytes())).setRssBytes(u64(s.rssBytes()))
                    .setPageFaults(u64(s.pageFaults())).setMajorPageFaults(u64(s.majorPageFaults())));
        }
        return b.build();
    }

    static UInt64Value u64(long v) {
        return UInt64Value.newBuilder().setValue(Math.max(0, v)).build();
    }
}
