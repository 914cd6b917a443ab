package io.atrium.engine.runtime.state;

import java.util.Map;

/**
 * What the engine keeps about one pod sandbox.
 *
 * @param sandboxer the sandboxer name the runtime handler mapped to when the pod was created
 * @param netnsPath the pinned network namespace, null for host network or once released
 * @param config the CRI PodSandboxConfig as kubelet sent it (protobuf bytes), so containers created
 *     later and verbose status see exactly what was asked for
 */
public record PodSandboxRecord(
        String id, String name, String namespace, String uid, int attempt,
        String runtimeHandler, String sandboxer, PodState state, long createdAtNanos, long stoppedAtNanos,
        String hostname, String logDirectory, boolean hostNetwork, boolean hostPid, boolean hostIpc,
        String netnsPath, Map<String, String> labels, Map<String, String> annotations, String reason,
        byte[] config) {

    public PodSandboxRecord {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        reason = reason == null ? "" : reason;
    }

    /** name, namespace, uid and attempt: what kubelet must not ask for twice. */
    public String nameKey() {
        return name + "_" + namespace + "_" + uid + "_" + attempt;
    }

    public PodSandboxRecord stopped(long atNanos, String why) {
        return new PodSandboxRecord(id, name, namespace, uid, attempt, runtimeHandler, sandboxer, PodState.NOTREADY,
                createdAtNanos, stoppedAtNanos == 0 ? atNanos : stoppedAtNanos, hostname, logDirectory, hostNetwork,
                hostPid, hostIpc, netnsPath, labels, annotations, why == null ? reason : why, config);
    }

    public PodSandboxRecord withNetns(String path) {
        return new PodSandboxRecord(id, name, namespace, uid, attempt, runtimeHandler, sandboxer, state,
                createdAtNanos, stoppedAtNanos, hostname, logDirectory, hostNetwork, hostPid, hostIpc, path, labels,
                annotations, reason, config);
    }
}
