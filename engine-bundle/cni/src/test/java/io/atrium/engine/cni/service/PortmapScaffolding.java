package io.atrium.engine.cni.service;

import java.io.IOException;

/**
 * The nat chains portmap shares between all pods (CNI-HOSTPORT-*) and the jumps into them. Per-pod
 * rules go away with DEL; these stay, as on a node. Tests that created them remove them again,
 * but only while no pod of anyone still forwards a port through them.
 */
final class PortmapScaffolding {

    private PortmapScaffolding() {
    }

    static boolean present() throws IOException, InterruptedException {
        return Host.ok("iptables-save", "-t", "nat").contains(":CNI-HOSTPORT-DNAT");
    }

    static void removeIfUnused() throws IOException, InterruptedException {
        String nat = Host.ok("iptables-save", "-t", "nat");
        if (!nat.contains(":CNI-HOSTPORT-DNAT") || nat.contains("-A CNI-HOSTPORT-DNAT ")) {
            return;
        }
        Host.run("iptables", "-t", "nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT");
        Host.run("iptables", "-t", "nat", "-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT");
        Host.run("iptables", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade",
                "-j", "CNI-HOSTPORT-MASQ");
        for (String chain : new String[] {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"}) {
            Host.run("iptables", "-t", "nat", "-F", chain);
            Host.run("iptables", "-t", "nat", "-X", chain);
        }
    }
}
