package io.atrium.sandboxer.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Connects a VM to the pod network the engine's CNI plugins built: inside the pod netns a tap device
 * {@value #TAP} is created and tc mirrors every frame between the CNI interface {@value #ETH} and the
 * tap in both directions (ingress qdisc + {@code mirred egress redirect}), the "tc filter" model.
 * The guest NIC takes eth0's MAC and the guest kernel takes eth0's address and gateway, so to the
 * rest of the network the VM simply is the pod.
 */
final class TapNetwork {
    static final String TAP = "tap0";
    static final String ETH = "eth0";

    private final ObjectMapper json;

    TapNetwork(ObjectMapper json) {
        this.json = json;
    }

    /**
     * Reads eth0's MAC, first IPv4 address, MTU and the default gateway inside {@code netns}; null
     * when the namespace has no eth0 (no CNI network configured: the pod gets loopback only).
     */
    GuestNetwork inspect(Path netns) throws IOException {
        if (!exists(netns.toString(), ETH)) {
            return null;
        }
        JsonNode links = json.readTree(Commands.run(Commands.inNetns(netns.toString(), "ip", "-j", "addr", "show", "dev", ETH)));
        if (!links.isArray() || links.isEmpty()) {
            throw new IOException("pod network namespace " + netns + " has no " + ETH);
        }
        JsonNode link = links.get(0);
        String mac = link.path("address").asText();
        int mtu = link.path("mtu").asInt(1500);
        String cidr = null;
        for (JsonNode a : link.path("addr_info")) {
            if ("inet".equals(a.path("family").asText())) {
                cidr = a.path("local").asText() + "/" + a.path("prefixlen").asInt();
                break;
            }
        }
        if (cidr == null) {
            throw new IOException(ETH + " in " + netns + " has no IPv4 address");
        }
        JsonNode routes = json.readTree(Commands.run(Commands.inNetns(netns.toString(), "ip", "-j", "-4", "route", "show", "default")));
        String gateway = routes.isArray() && !routes.isEmpty() ? routes.get(0).path("gateway").asText("") : "";
        return new GuestNetwork(mac, cidr, gateway, mtu);
    }

    /** Creates the tap and the two mirred filters. Undone by {@link #tearDown}; safe to call again. */
    void setUp(Path netns, GuestNetwork net) throws IOException {
        String ns = netns.toString();
        tearDown(netns);
        Commands.run(Commands.inNetns(ns, "ip", "tuntap", "add", "dev", TAP, "mode", "tap"));
        Commands.run(Commands.inNetns(ns, "ip", "link", "set", "dev", TAP, "mtu", Integer.toString(net.mtu()), "up"));
        for (String[] pair : new String[][] {{ETH, TAP}, {TAP, ETH}}) {
            Commands.run(Commands.inNetns(ns, "tc", "qdisc", "add", "dev", pair[0], "ingress"));
            Commands.run(Commands.inNetns(ns, "tc", "filter", "add", "dev", pair[0], "parent", "ffff:", "protocol", "all",
                    "u32", "match", "u8", "0", "0", "action", "mirred", "egress", "redirect", "dev", pair[1]));
        }
    }

    /** Removes the filters and the tap; a missing namespace or device is already torn down. */
    void tearDown(Path netns) throws IOException {
        if (!java.nio.file.Files.exists(netns)) {
            return;
        }
        String ns = netns.toString();
        try {
            Commands.run(Commands.inNetns(ns, "tc", "qdisc", "del", "dev", ETH, "ingress"));
        } catch (IOException e) {
            // no ingress qdisc: nothing to remove
        }
        if (exists(ns, TAP)) {
            Commands.run(Commands.inNetns(ns, "ip", "link", "del", "dev", TAP));
        }
    }

    /** Whether the tap still exists in {@code netns} (tests and leak checks). */
    boolean tapExists(Path netns) throws IOException {
        return java.nio.file.Files.exists(netns) && exists(netns.toString(), TAP);
    }

    private boolean exists(String ns, String dev) throws IOException {
        JsonNode links = json.readTree(Commands.run(Commands.inNetns(ns, "ip", "-j", "link", "show")));
        for (JsonNode l : links) {
            if (dev.equals(l.path("ifname").asText())) {
                return true;
            }
        }
        return false;
    }
}
