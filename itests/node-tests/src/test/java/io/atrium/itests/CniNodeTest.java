package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ExecSyncRequest;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxStatusRequest;
import io.atrium.cri.v1.PortMapping;
import io.atrium.cri.v1.Protocol;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RuntimeCondition;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StatusRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pod networking on a real node over the CRI socket: the node's CNI config dir points at a test
 * conflist (its own bridge and /24, host-local store in the test dir) run by Debian's plugins.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CniNodeTest {
    private final String tag = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
    private final String bridge = "atrn" + tag.substring(0, 6);
    private final String subnetPrefix = "10.213." + ThreadLocalRandom.current().nextInt(1, 250) + ".";
    @AutoClose
    private CriTestNode testNode;
    private Path confDir;
    private Path ipam;

    @BeforeAll
    void start() throws Exception {
        testNode = CriTestNode.create(CniNodeTest.class, "atrium-cni-it", "", 120);
        testNode.ownsBridge(bridge);
        confDir = Files.createDirectories(testNode.work.resolve("net.d"));
        ipam = Files.createDirectories(testNode.work.resolve("ipam"));
        String image = testNode.pushBusybox(Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin")));
        testNode.start(Map.of("atrium.cni.conf.dir", confDir.toString()));
        testNode.pull(image);
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private RuntimeCondition networkReady() {
        return rt().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
                .filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
    }

    private PodSandboxConfig pod(String name, PortMapping... ports) {
        return testNode.pod(name, "cni", "uid-" + name + tag).addAllPortMappings(List.of(ports)).build();
    }

    /** Runs a pod whose one container serves {@code body} on port 8080 with busybox httpd. */
    private String webPod(String name, String body, PortMapping... ports) {
        PodSandboxConfig config = pod(name, ports);
        String podId = testNode.runPod(config);
        String script = "mkdir -p /tmp/www && echo '" + body + "' > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";
        testNode.createAndStart(podId, config, testNode.container("web", "sh", "-c", script).setLogPath("web.log").build());
        return podId;
    }

    private String podIp(String podId) {
        return rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                .getStatus().getNetwork().getIp();
    }

    private static String get(String url) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String body = "";
        for (int i = 0; i < 100 && body.isEmpty(); i++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.ofString());
                body = r.statusCode() == 200 ? r.body().trim() : "";
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        return body;
    }

    @Test
    @Order(1)
    void networkIsNotReadyWithoutConfig() {
        RuntimeCondition ready = networkReady();
        assertFalse(ready.getStatus());
        assertEquals("NoCNIConfig", ready.getReason());
        assertTrue(ready.getMessage().contains(confDir.toString()), ready.getMessage());
    }

    @Test
    @Order(2)
    void podsGetDistinctAddressesReachEachOtherAndAHostPort() throws Exception {
        Files.writeString(confDir.resolve("10-it.conflist"), """
                {"cniVersion": "1.0.0", "name": "atrium-it-%s", "plugins": [
                  {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false,
                   "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s0/24"}]]}},
                  {"type": "portmap", "capabilities": {"portMappings": true}},
                  {"type": "loopback"}]}""".formatted(tag, bridge, ipam, subnetPrefix), StandardCharsets.UTF_8);
        assertTrue(networkReady().getStatus(), networkReady().toString());

        int hostPort = ThreadLocalRandom.current().nextInt(32000, 32700);
        String a = webPod("a", "served by a",
                PortMapping.newBuilder().setProtocol(Protocol.TCP).setContainerPort(8080).setHostPort(hostPort).build());
        String b = webPod("b", "served by b");
        String ipA = podIp(a);
        String ipB = podIp(b);
        assertTrue(ipA.startsWith(subnetPrefix), ipA);
        assertTrue(ipB.startsWith(subnetPrefix), ipB);
        assertNotEquals(ipA, ipB);

        assertEquals("served by a", get("http://" + ipA + ":8080/"));
        assertEquals("served by a", get("http://127.0.0.1:" + hostPort + "/"));
        String webB = rt().listContainers(io.atrium.cri.v1.ListContainersRequest.newBuilder()
                .setFilter(io.atrium.cri.v1.ContainerFilter.newBuilder().setPodSandboxId(b)).build()).getContainers(0).getId();
        var fromB = rt().execSync(ExecSyncRequest.newBuilder().setContainerId(webB)
                .addAllCmd(List.of("busybox", "wget", "-q", "-O", "-", "http://" + ipA + ":8080/")).setTimeout(10).build());
        assertEquals("served by a", fromB.getStdout().toStringUtf8().trim(), fromB.getStderr().toStringUtf8());

        for (String pod : List.of(a, b)) {
            rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
            rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
        }
        try (Stream<Path> held = Files.list(ipam.resolve("atrium-it-" + tag))) {
            assertEquals(List.of(), held.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("lock") && !n.startsWith("last_reserved_ip")).toList());
        }
        String rules = new String(new ProcessBuilder("iptables-save", "-t", "nat").start().getInputStream().readAllBytes());
        assertFalse(rules.contains(a) || rules.contains(b), rules);
        String links = new String(new ProcessBuilder("ip", "-o", "link", "show", "master", bridge).start().getInputStream().readAllBytes());
        assertEquals("", links.trim());
    }
}
