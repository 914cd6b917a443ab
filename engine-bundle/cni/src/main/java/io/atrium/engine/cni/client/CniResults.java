package io.atrium.engine.cni.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.engine.cni.PodIp;
import io.atrium.engine.cni.PodNetworkStatus;
import java.util.ArrayList;
import java.util.List;

/** Reads the pod's addresses out of a CNI result (formats 0.3.0 to 1.0.0). */
public final class CniResults {

    private CniResults() {
    }

    /**
     * The addresses on the pod's interface: the {@code ips} whose {@code interface} index names a
     * sandbox interface called {@code ifName}; every address when the result has no such indices.
     */
    public static PodNetworkStatus status(String network, String ifName, JsonNode result) {
        JsonNode interfaces = result.path("interfaces");
        List<PodIp> onPod = new ArrayList<>();
        List<PodIp> all = new ArrayList<>();
        for (JsonNode ip : result.path("ips")) {
            PodIp parsed = parse(ip);
            if (parsed == null) {
                continue;
            }
            all.add(parsed);
            JsonNode index = ip.get("interface");
            if (index != null && index.canConvertToInt()) {
                JsonNode iface = interfaces.path(index.asInt());
                if (ifName.equals(iface.path("name").asText()) && !iface.path("sandbox").asText("").isEmpty()) {
                    onPod.add(parsed);
                }
            }
        }
        return new PodNetworkStatus(network, ifName, onPod.isEmpty() ? all : onPod);
    }

    private static PodIp parse(JsonNode ip) {
        String cidr = ip.path("address").asText("");
        int slash = cidr.indexOf('/');
        if (slash <= 0) {
            return null;
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        return new PodIp(cidr.substring(0, slash), prefix, ip.path("gateway").asText(""));
    }
}
