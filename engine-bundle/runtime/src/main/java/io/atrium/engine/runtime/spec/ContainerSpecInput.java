package io.atrium.engine.runtime.spec;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.image.api.ImageConfig;
import java.util.List;

/**
 * Everything the OCI spec of one container is built from.
 *
 * @param containerId the new container's id
 * @param podSandboxId the pod it joins
 * @param config kubelet's container config
 * @param pod the pod's config as kubelet sent it at RunPodSandbox
 * @param image the image's run configuration
 * @param imageName the image as the client named it
 * @param user the resolved user: uid, gid and supplementary groups (image groups plus CRI ones)
 * @param targetPid pid of the target container for NamespaceMode.TARGET, 0 otherwise
 */
public record ContainerSpecInput(String containerId, String podSandboxId, ContainerConfig config, PodSandboxConfig pod,
        ImageConfig image, String imageName, long uid, long gid, List<Long> additionalGids, long targetPid) {
}
