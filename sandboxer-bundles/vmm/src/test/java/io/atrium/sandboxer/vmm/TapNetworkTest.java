package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tap + tc mirroring in network namespaces this test creates: a "pod" namespace with a veth
 * eth0 as CNI would leave it, and a "peer" namespace at the other end of the veth.
 */
class TapNetworkTest {
    private final String pod = "atrvmm-pod-" + ProcessHandle.current().pid();
    private final String peer = "atrvmm-peer-" + ProcessHandle.current().pid();
    private final TapNetwork net = new TapNetwork(VmStore.mapper());

    @BeforeEach
    void namespaces() throws IOException {
        TestGuest.assumeRoot();
        run("ip", "netns", "add", pod);
        run("ip", "netns", "add", peer);
        run("ip", "-n", pod, "link", "add", "eth0", "type", "veth", "peer", "name", "p0", "netns", peer);
        run("ip", "-n", pod, "addr", "add", "10.251.0.2/24", "dev", "eth0");
        run("ip", "-n", pod, "link", "set", "eth0", "mtu", "1400", "up");
        run("ip", "-n", pod, "link", "set", "lo", "up");
        run("ip", "-n", pod, "route", "add", "default", "via", "10.251.0.1");
        run("ip", "-n", peer, "addr", "add", "10.251.0.1/24", "dev", "p0");
        run("ip", "-n", peer, "link", "set", "p0", "up");
    }

    @AfterEach
    void remove() {
        for (String ns : List.of(pod, peer)) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                // not created
            }
        }
    }

    private Path podNs() {
        return Path.of("/run/netns", pod);
    }

    @Test
    void inspectReadsWhatCniLeftOnEth0() throws IOException {
        GuestNetwork g = net.inspect(podNs());
        assertEquals("10.251.0.2/24", g.cidr());
        assertEquals("10.251.0.1", g.gateway());
        assertEquals(1400, g.mtu());
        assertTrue(g.mac().matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"), g.mac());
    }

    @Test
    void framesArrivingOnEth0AreRedirectedToTheTapAndTearDownRemovesEverything() throws IOException {
        GuestNetwork g = net.inspect(podNs());
        net.setUp(podNs(), g);
        assertTrue(net.tapExists(podNs()));
        String filter = run("ip", "netns", "exec", pod, "tc", "-s", "filter", "show", "dev", "eth0", "ingress");
        assertTrue(filter.contains("mirred (Egress Redirect to device tap0)"), filter);
        long before = sentPackets(filter);
        try {
            // busybox-static ping: iputils is not installed everywhere
            run("ip", "netns", "exec", peer, BusyboxRootfs.BUSYBOX.toString(), "ping", "-c", "3", "-W", "1", "10.251.0.2");
        } catch (IOException expected) {
            // nobody answers: the frames went to the tap (whose VM is not running), not to the pod's stack
        }
        long after = sentPackets(run("ip", "netns", "exec", pod, "tc", "-s", "filter", "show", "dev", "eth0", "ingress"));
        assertTrue(after >= before + 3, "mirred counted " + before + " -> " + after + " packets");
        String back = run("ip", "netns", "exec", pod, "tc", "filter", "show", "dev", "tap0", "ingress");
        assertTrue(back.contains("mirred (Egress Redirect to device eth0)"), back);

        net.tearDown(podNs());
        assertFalse(net.tapExists(podNs()));
        String qdiscs = run("ip", "netns", "exec", pod, "tc", "qdisc", "show", "dev", "eth0");
        assertFalse(qdiscs.contains("ingress"), qdiscs);
        net.tearDown(podNs()); // again: nothing left to remove is fine
    }

    @Test
    void aNamespaceWithoutEth0MeansLoopbackOnlyAndAnEth0WithoutIpv4IsAClearError() throws IOException {
        run("ip", "-n", pod, "addr", "flush", "dev", "eth0");
        IOException e = assertThrows(IOException.class, () -> net.inspect(podNs()));
        assertTrue(e.getMessage().contains("eth0 in " + podNs() + " has no IPv4 address"), e.getMessage());
        run("ip", "-n", pod, "link", "del", "eth0");
        assertEquals(null, net.inspect(podNs()));
    }

    private static long sentPackets(String tcStats) {
        Matcher m = Pattern.compile("Sent \\d+ bytes (\\d+) pkt").matcher(tcStats);
        long max = 0;
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }

    private static String run(String... cmd) throws IOException {
        return Commands.run(List.of(cmd), 30);
    }
}
