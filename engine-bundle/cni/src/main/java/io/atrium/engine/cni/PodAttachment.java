package io.atrium.engine.cni;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What the network plugins need to attach one pod.
 *
 * @param podId the sandbox id (the CNI container id)
 * @param netns the pod's pinned network namespace file
 * @param podName Kubernetes pod name (K8S_POD_NAME)
 * @param podNamespace Kubernetes namespace (K8S_POD_NAMESPACE)
 * @param podUid Kubernetes pod UID (K8S_POD_UID)
 * @param portMappings host ports to forward (the {@code portMappings} capability)
 * @param bandwidth traffic shaping (the {@code bandwidth} capability), or null for none
 */
public record PodAttachment(String podId, Path netns, String podName, String podNamespace, String podUid,
        List<PortMapping> portMappings, Bandwidth bandwidth) {

    public PodAttachment {
        Objects.requireNonNull(podId, "podId");
        Objects.requireNonNull(netns, "netns");
        podName = Objects.requireNonNullElse(podName, "");
        podNamespace = Objects.requireNonNullElse(podNamespace, "");
        podUid = Objects.requireNonNullElse(podUid, "");
        portMappings = List.copyOf(Objects.requireNonNullElse(portMappings, List.of()));
    }
}
