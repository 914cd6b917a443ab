package io.atrium.engine.cni.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.cni.Bandwidth;
import io.atrium.engine.cni.PodAttachment;
import io.atrium.engine.cni.PodIp;
import io.atrium.engine.cni.PodNetworkException;
import io.atrium.engine.cni.PodNetworkStatus;
import io.atrium.engine.cni.PortMapping;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pods attached with Debian's real CNI plugins, in namespaces and on a bridge the test owns. */
class CniPodNetworksTest {

    private static String ipForwardBefore;
    private static boolean portmapChainsBefore;
    private TestNetwork net;
    private CniPodNetworks networks;

    @BeforeAll
    static void rememberForwarding() throws Exception {
        // the bridge plugin turns on IPv4 forwarding for its gateway; the tests put the host back as it was
        ipForwardBefore = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).trim();
        portmapChainsBefore = PortmapScaffolding.present();
    }

    @AfterAll
    static void restoreForwarding() throws Exception {
        Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), ipForwardBefore);
        if (!portmapChainsBefore) {
            PortmapScaffolding.removeIfUnused();
        }
    }

    @BeforeEach
    void network() throws IOException {
        net = new TestNetwork();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (networks != null) {
            // a test that failed half-way still releases what its pods hold, while their netns exist
            for (String pod : networks.journaledPods()) {
                try {
                    networks.tearDown(pod);
                } catch (PodNetworkException e) {
                    System.err.println("cleanup: " + e.getMessage());
                }
            }
            networks.close();
        }
        net.close();
    }

    private PodAttachment pod(String id, Path netns, List<PortMapping> ports) {
        return new PodAttachment(id, netns, "web-" + id, "default", "uid-" + id, ports, null);
    }

    private PodIp v4(PodNetworkStatus status) {
        return status.primaryIp().orElseThrow(() -> new AssertionError("no IP in " + status));
    }

    @Test
    void twoPodsGetDistinctAddressesAndReachEachOther() throws Exception {
        net.writeConfig("10-test.conflist", net.conflist(TestNetwork.PORTMAP));
        networks = new CniPodNetworks(net.settings());
        Path nsA = net.netns("a");
        Path nsB = net.netns("b");
        String a = "pod-a-" + net.tag;
        String b = "pod-b-" + net.tag;

        PodNetworkStatus sa = networks.setUp(pod(a, nsA, List.of()));
        PodNetworkStatus sb = networks.setUp(pod(b, nsB, List.of()));

        String prefix = net.subnet.substring(0, net.subnet.lastIndexOf('.') + 1);
        assertTrue(v4(sa).address().startsWith(prefix), sa.toString());
        assertTrue(v4(sb).address().startsWith(prefix), sb.toString());
        assertNotEquals(v4(sa).address(), v4(sb).address());
        assertEquals(24, v4(sa).prefixLength());
        assertEquals(prefix + "1", v4(sa).gateway());
        assertEquals("eth0", sa.interfaceName());
        assertEquals(net.networkName, sa.network());
        assertEquals(sa, networks.status(a).orElseThrow());
        assertEquals(2, net.allocatedIps().size(), net.allocatedIps().toString());

        net.httpServer(nsA, 8080, "hello from a");
        String got = "";
        for (int i = 0; i < 50 && !got.contains("hello from a"); i++) {
            Thread.sleep(100);
            got = net.inNetns(nsB, "busybox", "wget", "-q", "-O", "-", "http://" + v4(sa).address() + ":8080/").text();
        }
        assertEquals("hello from a", got.trim());
        assertEquals(0, net.inNetns(nsA, "busybox", "ping", "-c", "1", "-W", "2", v4(sb).address()).exit());
        networks.check(a);

        networks.tearDown(a);
        networks.tearDown(b);
        networks.tearDown(b); // idempotent
        assertTrue(networks.status(a).isEmpty());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals("", net.bridgePorts());
        assertEquals("1: lo", net.inNetns(nsA, "ip", "-o", "link").text().trim().split(":", 3)[0] + ": "
                + net.inNetns(nsA, "ip", "-o", "link").text().trim().split(":", 3)[1].trim());
    }

    @Test
    void hostPortIsReachableOnLoopbackUntilTearDown() throws Exception {
        net.writeConfig("10-test.conflist", net.conflist(TestNetwork.PORTMAP));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("p");
        String id = "pod-port-" + net.tag;
        int hostPort = ThreadLocalRandom.current().nextInt(31000, 32000);
        networks.setUp(pod(id, ns, List.of(new PortMapping(hostPort, 8080, "TCP", ""))));
        net.httpServer(ns, 8080, "through the host port");

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hostPort + "/")).timeout(Duration.ofSeconds(3)).build();
        String body = "";
        for (int i = 0; i < 50 && !body.contains("through"); i++) {
            Thread.sleep(100);
            try {
                body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) {
                body = e.toString();
            }
        }
        assertEquals("through the host port", body.trim());
        assertFalse(TestNetwork.iptablesRulesFor(id).isEmpty(), "portmap should have tagged its rules with the pod id");

        networks.tearDown(id);
        assertEquals(List.of(), TestNetwork.iptablesRulesFor(id));
        assertThrows(IOException.class, () -> http.send(get, HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void hundredAttachDetachCyclesLeakNothing() throws Exception {
        net.writeConfig("10-test.conflist", net.conflist(TestNetwork.PORTMAP));
        networks = new CniPodNetworks(net.settings());
        String prefix = "cyc-" + net.tag + "-";
        for (int i = 0; i < 100; i++) {
            Path ns = net.netns("c" + i);
            String id = prefix + i;
            PodNetworkStatus status = networks.setUp(pod(id, ns, List.of(new PortMapping(32100 + (i % 50), 80, "tcp", ""))));
            assertEquals(1, net.allocatedIps().size(), "cycle " + i + ": " + status);
            networks.tearDown(id);
            net.deleteNetns(ns);
        }
        assertEquals(List.of(), net.allocatedIps(), "host-local store");
        assertEquals("", net.bridgePorts(), "veths on " + net.bridge);
        assertEquals(List.of(), TestNetwork.iptablesRulesFor(prefix), "iptables");
        assertFalse(Host.ok("ip", "netns", "list").contains(net.tag), "netns files");
        assertFalse(Host.ok("ip", "-o", "link", "show", "type", "veth").contains(net.bridge), "veths");
        assertEquals(List.of(), networks.pendingDeletes());
        try (var left = Files.list(net.settings().stateDir().resolve("attachments"))) {
            assertEquals(List.of(), left.toList(), "journal");
        }
    }

    @Test
    void brokenPluginFailsSetUpWithItsMessageAndLeavesNothing() throws Exception {
        net.writePlugin("broken", """
                cat > /dev/null
                case "$CNI_COMMAND" in
                  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
                  ADD) echo '{"cniVersion":"1.0.0","code":7,"msg":"boom: the test plugin refuses","details":"on purpose"}'; exit 1 ;;
                esac
                exit 0
                """);
        net.writeConfig("10-test.conflist", net.conflist(TestNetwork.PORTMAP, "{\"type\": \"broken\"}"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("x");
        String id = "pod-broken-" + net.tag;

        PodNetworkException e = assertThrows(PodNetworkException.class,
                () -> networks.setUp(pod(id, ns, List.of(new PortMapping(31999, 80, "tcp", "")))));
        assertTrue(e.getMessage().contains("boom: the test plugin refuses (on purpose)"), e.getMessage());
        assertTrue(e.getMessage().contains("'broken'"), e.getMessage());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals("", net.bridgePorts());
        assertFalse(net.inNetns(ns, "ip", "-o", "link").text().contains("eth0"));
        assertEquals(List.of(), TestNetwork.iptablesRulesFor(id));
        assertEquals(List.of(), networks.pendingDeletes());
        assertTrue(networks.status(id).isEmpty());
    }

    @Test
    void failedDeleteIsRememberedAcrossRestartAndRetriedUntilItSucceeds() throws Exception {
        Path gate = net.dir.resolve("del-fails");
        Files.createFile(gate);
        net.writePlugin("flaky", """
                conf=$(cat)
                case "$CNI_COMMAND" in
                  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}' ;;
                  ADD) echo "$conf" | sed -n 's/.*"prevResult":\\(.*\\)}$/\\1/p' ;;
                  DEL) if [ -e %s ]; then echo '{"cniVersion":"1.0.0","code":11,"msg":"try again later"}'; exit 1; fi ;;
                esac
                exit 0
                """.formatted(gate));
        net.writeConfig("10-test.conflist", net.conflist("{\"type\": \"flaky\"}"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("f");
        String id = "pod-flaky-" + net.tag;
        networks.setUp(pod(id, ns, List.of()));

        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.tearDown(id));
        assertTrue(e.getMessage().contains("try again later"), e.getMessage());
        assertEquals(List.of(id), networks.pendingDeletes());
        // the other plugins of the chain still ran their DEL
        assertEquals(List.of(), net.allocatedIps());

        networks.close();
        networks = new CniPodNetworks(net.settings()); // a node restart
        assertEquals(List.of(id), networks.pendingDeletes());
        networks.retryPendingDeletes();
        assertEquals(List.of(id), networks.pendingDeletes(), "still failing");

        Files.delete(gate);
        networks.retryPendingDeletes();
        assertEquals(List.of(), networks.pendingDeletes());
        assertTrue(networks.status(id).isEmpty());
    }

    @Test
    void pluginsGetPrevResultCapabilitiesAndKubernetesArgs() throws Exception {
        Path log = net.dir.resolve("recorded");
        net.writePlugin("recorder", """
                conf=$(cat)
                [ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'; exit 0; }
                printf '%%s|%%s|%%s|%%s|%%s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_IFNAME" "$CNI_ARGS" "$conf" >> %s
                [ "$CNI_COMMAND" = ADD ] && echo "$conf" | sed -n 's/.*"prevResult":\\(.*\\)}$/\\1/p'
                exit 0
                """.formatted(log));
        net.writeConfig("10-test.conflist", net.conflist(
                "{\"type\": \"recorder\", \"capabilities\": {\"portMappings\": true, \"bandwidth\": true}, \"runtimeConfig\": {\"stale\": 1}}"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("r");
        String id = "pod-rec-" + net.tag;
        PodAttachment pod = new PodAttachment(id, ns, "web", "shop", "uid-1",
                List.of(new PortMapping(8080, 80, "tcp", "127.0.0.1")), new Bandwidth(1_000_000, 2_000_000, 0, 0));
        PodNetworkStatus status = networks.setUp(pod);
        networks.tearDown(id);

        List<String> calls = Files.readAllLines(log);
        assertEquals(2, calls.size(), calls.toString());
        String add = calls.get(0);
        assertTrue(add.startsWith("ADD|" + id + "|eth0|IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID="
                + id + ";K8S_POD_UID=uid-1|"), add);
        assertTrue(add.contains("\"prevResult\":{\"cniVersion\":\"1.0.0\""), add);
        assertTrue(add.contains(v4(status).address() + "/24"), add);
        assertTrue(add.contains("\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"}],"
                + "\"bandwidth\":{\"ingressRate\":1000000,\"ingressBurst\":2000000}}"), add);
        assertFalse(add.contains("stale"), add);
        assertTrue(add.contains("\"name\":\"" + net.networkName + "\""), add);
        String del = calls.get(1);
        assertTrue(del.startsWith("DEL|" + id + "|eth0|"), del);
        assertTrue(del.contains("\"prevResult\":{") && del.contains(v4(status).address() + "/24"), del);
    }

    @Test
    void pluginThatHangsIsKilledAfterTheTimeoutAndNothingIsLeft() throws Exception {
        net.writePlugin("hang", """
                cat > /dev/null
                [ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'; exit 0; }
                [ "$CNI_COMMAND" = ADD ] && sleep 60
                exit 0
                """);
        net.writeConfig("10-test.conflist", net.conflist("{\"type\": \"hang\"}"));
        networks = new CniPodNetworks(net.settings(Duration.ofMillis(1500)));
        Path ns = net.netns("h");
        String id = "pod-hang-" + net.tag;
        long start = System.nanoTime();
        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.setUp(pod(id, ns, List.of())));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 20, "took too long");
        assertTrue(e.getMessage().contains("CNI plugin 'hang' ADD timed out after 1500 ms"), e.getMessage());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals("", net.bridgePorts());
        assertEquals(List.of(), networks.pendingDeletes());
        assertFalse(Host.ok("ps", "-eo", "args").contains(net.binDir.resolve("hang").toString()), "plugin left running");
    }

    @Test
    void garbageOutputIsAClearError() throws Exception {
        net.writePlugin("garbage", """
                cat > /dev/null
                [ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'; exit 0; }
                [ "$CNI_COMMAND" = ADD ] && echo 'hello, I am not JSON'
                exit 0
                """);
        net.writeConfig("10-test.conflist", net.conflist("{\"type\": \"garbage\"}"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("g");
        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.setUp(pod("pod-g-" + net.tag, ns, List.of())));
        assertTrue(e.getMessage().contains("CNI plugin 'garbage' ADD printed something that is not a CNI result: hello, I am not JSON"),
                e.getMessage());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals(List.of(), networks.pendingDeletes());
    }

    @Test
    void missingPluginMakesTheNetworkNotReadyAndSetUpFailsNamingIt() throws Exception {
        net.writeConfig("10-test.conflist", net.conflist("{\"type\": \"no-such-plugin\"}"));
        networks = new CniPodNetworks(net.settings());
        var readiness = networks.readiness();
        assertFalse(readiness.ready());
        assertEquals("CNIPluginMissing", readiness.reason());
        assertTrue(readiness.message().contains("[no-such-plugin]"), readiness.message());
        Path ns = net.netns("m");
        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.setUp(pod("pod-m-" + net.tag, ns, List.of())));
        assertTrue(e.getMessage().contains("CNI plugin 'no-such-plugin' not found in " + net.binDir + ":/usr/lib/cni"), e.getMessage());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals(List.of(), networks.pendingDeletes());
    }

    @Test
    void pluginThatDoesNotSupportTheConfigVersionIsRefusedBeforeAnythingRuns() throws Exception {
        net.writePlugin("old", """
                cat > /dev/null
                [ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]}'; exit 0; }
                echo ran >> %s
                exit 0
                """.formatted(net.dir.resolve("old-ran")));
        net.writeConfig("10-test.conflist", net.conflist("{\"type\": \"old\"}"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("v");
        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.setUp(pod("pod-v-" + net.tag, ns, List.of())));
        assertTrue(e.getMessage().contains("CNI plugin 'old' does not support cniVersion 1.0.0"), e.getMessage());
        assertFalse(Files.exists(net.dir.resolve("old-ran")));
        assertEquals(List.of(), net.allocatedIps());
        assertEquals("", net.bridgePorts());
    }

    @Test
    void notReadyWithoutConfigThenReadyOnceOneAppears() throws Exception {
        Files.delete(net.confDir);
        networks = new CniPodNetworks(net.settings());
        var readiness = networks.readiness();
        assertFalse(readiness.ready());
        assertEquals("NoCNIConfig", readiness.reason());
        assertTrue(readiness.message().contains(net.confDir.toString()), readiness.message());
        Path ns = net.netns("n");
        PodNetworkException e = assertThrows(PodNetworkException.class, () -> networks.setUp(pod("pod-n-" + net.tag, ns, List.of())));
        assertTrue(e.getMessage().contains("no valid CNI network config in " + net.confDir), e.getMessage());

        Files.createDirectories(net.confDir);
        net.writeConfig("10-test.conflist", net.conflist());
        assertTrue(networks.readiness().ready(), networks.readiness().toString());
        Files.delete(net.confDir.resolve("10-test.conflist"));
        assertFalse(networks.readiness().ready());
    }

    @Test
    void malformedConfigsAreSkippedWithReasonsAndTheNextValidOneIsUsed() throws Exception {
        net.writeConfig("00-garbage.conflist", "{ not json");
        net.writeConfig("01-empty.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": []}");
        net.writeConfig("02-version.conflist", "{\"cniVersion\": \"9.9.9\", \"name\": \"x\", \"plugins\": [{\"type\": \"bridge\"}]}");
        net.writeConfig("03-notype.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [{\"bridge\": \"b\"}]}");
        net.writeConfig("04-badname.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"a b\", \"plugins\": [{\"type\": \"bridge\"}]}");
        net.writeConfig("05-list-as-conf.conf", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [{\"type\": \"bridge\"}]}");
        net.writeConfig("06-path.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [{\"type\": \"../../bin/sh\"}]}");
        net.writeConfig("07-ignored.txt", "not a config extension");
        net.writeConfig("10-test.conflist", net.conflist());
        net.writeConfig("20-later.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"later\", \"plugins\": [{\"type\": \"bridge\"}]}");
        var directory = new io.atrium.engine.cni.client.CniConfigDirectory(net.confDir, new com.fasterxml.jackson.databind.ObjectMapper());
        var selection = directory.current();
        assertEquals(net.networkName, selection.network().orElseThrow().name());
        assertEquals(net.confDir.resolve("10-test.conflist"), selection.file().orElseThrow());
        List<String> skipped = selection.skipped();
        assertEquals(7, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).contains("00-garbage.conflist: not valid JSON"), skipped.get(0));
        assertTrue(skipped.get(1).contains("01-empty.conflist: 'plugins' must be a non-empty list"), skipped.get(1));
        assertTrue(skipped.get(2).contains("02-version.conflist: cniVersion '9.9.9' is not supported"), skipped.get(2));
        assertTrue(skipped.get(3).contains("03-notype.conflist: plugins[0] needs a 'type'"), skipped.get(3));
        assertTrue(skipped.get(4).contains("04-badname.conflist: network name 'a b'"), skipped.get(4));
        assertTrue(skipped.get(5).contains("05-list-as-conf.conf: has a 'plugins' list"), skipped.get(5));
        assertTrue(skipped.get(6).contains("06-path.conflist: plugins[0] needs a 'type'"), skipped.get(6));

        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("s");
        String id = "pod-s-" + net.tag;
        assertEquals(net.networkName, networks.setUp(pod(id, ns, List.of())).network());
        networks.tearDown(id);
    }

    @Test
    void singlePluginConfFileIsUsedAsAListOfOne() throws Exception {
        net.writeConfig("10-single.conf", """
                {"cniVersion": "0.4.0", "name": "%s", "type": "bridge", "bridge": "%s", "isGateway": true,
                 "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s"}]]}}"""
                .formatted(net.networkName, net.bridge, net.ipamDir, net.subnet));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("one");
        String id = "pod-one-" + net.tag;
        PodNetworkStatus status = networks.setUp(pod(id, ns, List.of()));
        assertTrue(v4(status).address().startsWith("10.213."), status.toString());
        assertTrue(net.inNetns(ns, "ip", "-o", "-4", "addr", "show", "dev", "eth0").text().contains(v4(status).address() + "/24"));
        networks.check(id);
        networks.tearDown(id);
        assertEquals(List.of(), net.allocatedIps());
    }

    @Test
    void nodeDefaultChainWithMasqueradeAndBandwidthCleansUp() throws Exception {
        // the shape of the conflist scripts/run-node.sh writes, on the test's own bridge and subnet
        net.writeConfig("10-test.conflist", net.conflist(TestNetwork.PORTMAP,
                "{\"type\": \"bandwidth\", \"capabilities\": {\"bandwidth\": true}}").replace("\"ipMasq\": false", "\"ipMasq\": true"));
        networks = new CniPodNetworks(net.settings());
        Path ns = net.netns("d");
        String id = "pod-def-" + net.tag;
        String ifbBefore = Host.ok("ip", "-o", "link", "show", "type", "ifb");
        long tbfBefore = Host.ok("tc", "qdisc", "show").lines().filter(l -> l.contains("tbf")).count();
        networks.setUp(new PodAttachment(id, ns, "web", "default", "uid", List.of(new PortMapping(31888, 80, "tcp", "")),
                new Bandwidth(8_000_000, Integer.MAX_VALUE, 8_000_000, Integer.MAX_VALUE)));
        assertFalse(TestNetwork.iptablesRulesFor(id).isEmpty(), "masquerade and portmap rules name the pod");
        // the bandwidth plugin shapes on the host side: the pod's veth and an ifb device mirroring it
        assertEquals(tbfBefore + 2, Host.ok("tc", "qdisc", "show").lines().filter(l -> l.contains("tbf")).count(), "shaping");
        assertNotEquals(ifbBefore, Host.ok("ip", "-o", "link", "show", "type", "ifb"), "egress shaping device");

        networks.tearDown(id);
        assertEquals(List.of(), TestNetwork.iptablesRulesFor(id));
        assertEquals(ifbBefore, Host.ok("ip", "-o", "link", "show", "type", "ifb"));
        assertEquals(tbfBefore, Host.ok("tc", "qdisc", "show").lines().filter(l -> l.contains("tbf")).count());
        assertEquals(List.of(), net.allocatedIps());
        assertEquals("", net.bridgePorts());
    }
}
