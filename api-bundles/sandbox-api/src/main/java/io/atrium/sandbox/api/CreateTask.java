package io.atrium.sandbox.api;

import java.util.List;
import java.util.Map;

/**
 * One container to create.
 *
 * @param containerId container id chosen by the engine
 * @param ociSpecJson the OCI runtime spec (config.json) the engine built from the CRI config
 * @param rootfs mounts that make up the root filesystem, in order (empty when the spec's root is ready)
 * @param stdio where the container's standard streams go
 * @param annotations container annotations
 */
public record CreateTask(String containerId, String ociSpecJson, List<Mount> rootfs, Stdio stdio,
        Map<String, String> annotations) {
    public CreateTask {
        if (containerId == null || containerId.isBlank()) {
            throw SandboxException.invalid("container id is required");
        }
        if (ociSpecJson == null || ociSpecJson.isBlank()) {
            throw SandboxException.invalid("OCI runtime spec is required for container " + containerId);
        }
        rootfs = rootfs == null ? List.of() : List.copyOf(rootfs);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        stdio = stdio == null ? Stdio.NONE : stdio;
    }
}
