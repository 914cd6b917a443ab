package io.atrium.engine.runtime.state;

import java.util.List;
import java.util.Map;

/**
 * What the engine keeps about one container.
 *
 * @param image the image as the client named it; @param imageId the config digest; @param imageRef a repo digest
 *     (or the id when the image has none)
 * @param logPath absolute path of the CRI log file (pod log directory + the container's log_path)
 * @param criLogPath log_path as kubelet gave it (relative to the pod's log directory)
 * @param stopSignal signal number StopContainer sends first
 * @param ociSpecJson the OCI runtime spec the sandboxer got; exec processes start from its process
 * @param resources current Linux resources (updated by UpdateContainerResources)
 */
public record ContainerRecord(
        String id, String podSandboxId, String name, int attempt, String image, String imageId, String imageRef,
        Map<String, String> labels, Map<String, String> annotations, String logPath, String criLogPath,
        boolean tty, List<MountRecord> mounts, int stopSignal, String ociSpecJson, ResourcesRecord resources,
        UserRecord user, long createdAtNanos, ContainerState state) {

    public ContainerRecord {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
    }

    public ContainerRecord withState(ContainerState s) {
        return new ContainerRecord(id, podSandboxId, name, attempt, image, imageId, imageRef, labels, annotations,
                logPath, criLogPath, tty, mounts, stopSignal, ociSpecJson, resources, user, createdAtNanos, s);
    }

    public ContainerRecord withResources(ResourcesRecord r) {
        return new ContainerRecord(id, podSandboxId, name, attempt, image, imageId, imageRef, labels, annotations,
                logPath, criLogPath, tty, mounts, stopSignal, ociSpecJson, r, user, createdAtNanos, state);
    }

    /** A CRI mount as given (host path, container path, read-only, propagation name). */
    public record MountRecord(String containerPath, String hostPath, boolean readonly, String propagation) {
    }

    /** The user the container runs as. */
    public record UserRecord(long uid, long gid, List<Long> supplementalGroups) {
        public UserRecord {
            supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
        }
    }

    /** CRI LinuxContainerResources; zero means unset. */
    public record ResourcesRecord(long cpuPeriod, long cpuQuota, long cpuShares, long memoryLimitBytes,
            long oomScoreAdj, String cpusetCpus, String cpusetMems, Map<String, Long> hugepageLimits,
            Map<String, String> unified, long memorySwapLimitBytes) {
        public static final ResourcesRecord NONE = new ResourcesRecord(0, 0, 0, 0, 0, "", "", Map.of(), Map.of(), 0);

        public ResourcesRecord {
            cpusetCpus = cpusetCpus == null ? "" : cpusetCpus;
            cpusetMems = cpusetMems == null ? "" : cpusetMems;
            hugepageLimits = hugepageLimits == null ? Map.of() : Map.copyOf(hugepageLimits);
            unified = unified == null ? Map.of() : Map.copyOf(unified);
        }
    }
}
