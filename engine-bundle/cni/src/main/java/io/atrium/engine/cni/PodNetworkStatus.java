package io.atrium.engine.cni;

import java.util.List;
import java.util.Optional;

/**
 * A pod's network after set-up.
 *
 * @param network the CNI network name
 * @param interfaceName the interface inside the pod, e.g. {@code eth0}
 * @param ips the pod's addresses, in the order the plugins returned them
 */
public record PodNetworkStatus(String network, String interfaceName, List<PodIp> ips) {
    public PodNetworkStatus {
        ips = List.copyOf(ips);
    }

    /** The first IPv4 address, else the first address: what the CRI reports as the pod IP. */
    public Optional<PodIp> primaryIp() {
        return ips.stream().filter(ip -> !ip.isV6()).findFirst().or(() -> ips.stream().findFirst());
    }

    /** Every address but the primary one (the CRI's additional IPs, e.g. the IPv6 one). */
    public List<PodIp> additionalIps() {
        Optional<PodIp> primary = primaryIp();
        return ips.stream().filter(ip -> primary.isEmpty() || ip != primary.get()).toList();
    }
}
