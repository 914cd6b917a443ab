package io.atrium.engine.runtime.network;

import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.engine.cni.Bandwidth;
import io.atrium.engine.cni.NetworkReadiness;
import io.atrium.engine.cni.PodAttachment;
import io.atrium.engine.cni.PodIp;
import io.atrium.engine.cni.PodNetworkStatus;
import io.atrium.engine.cni.PodNetworks;
import io.atrium.engine.cni.PortMapping;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * Pods get the node's CNI network through the {@link PodNetworks} service (ADD on set-up, DEL on
 * tear-down). While no valid CNI config exists the node reports NetworkReady=false (kubelet then
 * starts only host-network pods) and pods started anyway, e.g. with crictl, get loopback only.
 * A failed DEL fails the stop and keeps the pod's namespace until a later stop succeeds.
 */
public final class CniPodNetwork implements PodNetwork {

    private static final Logger LOG = Logger.getLogger(CniPodNetwork.class.getName());
    /** Pod annotations kubelet's bandwidth shaping is requested with, as other CRI runtimes read them. */
    static final String INGRESS_ANNOTATION = "kubernetes.io/ingress-bandwidth";
    static final String EGRESS_ANNOTATION = "kubernetes.io/egress-bandwidth";
    /** No burst limit, as kubelet runtimes pass it. */
    private static final long UNLIMITED_BURST = Integer.MAX_VALUE;

    private final PodNetworks cni;
    private final LoopbackPodNetwork loopbackOnly = new LoopbackPodNetwork();

    public CniPodNetwork(PodNetworks cni) {
        this.cni = cni;
    }

    @Override
    public Attachment setUp(String podId, Path netns, PodSandboxConfig config) throws IOException {
        NetworkReadiness readiness = cni.readiness();
        if (!readiness.ready() && "NoCNIConfig".equals(readiness.reason())) {
            LOG.warning("pod " + podId + " gets loopback only: " + readiness.message());
            return loopbackOnly.setUp(podId, netns, config);
        }
        var md = config.getMetadata();
        List<PortMapping> ports = config.getPortMappingsList().stream().filter(p -> p.getHostPort() > 0)
                .map(p -> new PortMapping(p.getHostPort(), p.getContainerPort(), p.getProtocol().name(), p.getHostIp()))
                .toList();
        PodNetworkStatus status = cni.setUp(new PodAttachment(podId, netns, md.getName(), md.getNamespace(), md.getUid(),
                ports, bandwidth(config)));
        return attachment(status);
    }

    @Override
    public void tearDown(String podId, Path netns, PodSandboxConfig config) throws IOException {
        // thrown on, so the engine keeps the namespace: plugins such as bridge undo their
        // masquerade rules only while it exists; the CNI bundle also retries the DEL itself
        cni.tearDown(podId);
    }

    @Override
    public Attachment attachment(String podId) {
        return cni.status(podId).map(CniPodNetwork::attachment).orElse(Attachment.NONE);
    }

    @Override
    public Readiness readiness() {
        NetworkReadiness r = cni.readiness();
        return new Readiness(r.ready(), r.reason(), r.message());
    }

    private static Attachment attachment(PodNetworkStatus status) {
        List<String> ips = status.ips().stream().map(PodIp::address).toList();
        return ips.isEmpty() ? Attachment.NONE : new Attachment(status.primaryIp().orElseThrow().address(),
                status.additionalIps().stream().map(PodIp::address).toList());
    }

    private static Bandwidth bandwidth(PodSandboxConfig config) {
        long in = bitsPerSecond(config.getAnnotationsMap().get(INGRESS_ANNOTATION), INGRESS_ANNOTATION);
        long out = bitsPerSecond(config.getAnnotationsMap().get(EGRESS_ANNOTATION), EGRESS_ANNOTATION);
        if (in == 0 && out == 0) {
            return null;
        }
        return new Bandwidth(in, in == 0 ? 0 : UNLIMITED_BURST, out, out == 0 ? 0 : UNLIMITED_BURST);
    }

    /** A Kubernetes quantity such as {@code 10M} or {@code 1Gi}, in bits per second; 0 when absent. */
    static long bitsPerSecond(String quantity, String annotation) {
        if (quantity == null || quantity.isBlank()) {
            return 0;
        }
        String q = quantity.trim();
        String[][] suffixes = {{"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}, {"Ti", "1099511627776"},
                {"k", "1000"}, {"M", "1000000"}, {"G", "1000000000"}, {"T", "1000000000000"}};
        try {
            for (String[] s : suffixes) {
                if (q.endsWith(s[0])) {
                    return new BigDecimal(q.substring(0, q.length() - s[0].length())).multiply(new BigDecimal(s[1]))
                            .longValueExact();
                }
            }
            return new BigDecimal(q).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("annotation " + annotation + " = '" + quantity
                    + "' is not a bandwidth such as 10M or 1Gi", e);
        }
    }
}
