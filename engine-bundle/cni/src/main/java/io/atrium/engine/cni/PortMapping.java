package io.atrium.engine.cni;

import java.util.Objects;

/**
 * One host port forwarded into the pod.
 *
 * @param hostPort port on the node
 * @param containerPort port inside the pod
 * @param protocol {@code tcp}, {@code udp} or {@code sctp} (lower case, as CNI expects)
 * @param hostIp node address to bind, or empty for all
 */
public record PortMapping(int hostPort, int containerPort, String protocol, String hostIp) {
    public PortMapping {
        if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("ports must be 1..65535: host " + hostPort + ", container " + containerPort);
        }
        protocol = Objects.requireNonNullElse(protocol, "tcp").toLowerCase(java.util.Locale.ROOT);
        hostIp = Objects.requireNonNullElse(hostIp, "");
    }
}
