package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatusRequest;
import io.atrium.cri.v1.CreateContainerRequest;
import io.atrium.cri.v1.ExecSyncResponse;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxContainerSecurityContext;
import io.atrium.cri.v1.LinuxPodSandboxConfig;
import io.atrium.cri.v1.LinuxSandboxSecurityContext;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxStatusRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.atrium.engine.images.testing.TestRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * MicroVM pods end to end on a real node from the tarball: runtime handler {@code vmm}, every pod a
 * QEMU VM (TCG here) booting the guest the distribution ships, containers from a busybox image pulled
 * from a real local registry, pod networking from Debian's CNI bridge plugin through the tap.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmmNodeTest {
    private final String tag = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
    private final String bridge = "atrv" + tag.substring(0, 6);
    private final String subnetPrefix = "10.214." + ThreadLocalRandom.current().nextInt(1, 250) + ".";
    @AutoClose
    private CriTestNode testNode;
    private NodeProcess node;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")),
                "qemu-system-x86_64 is not installed (scripts/install-deps.sh installs qemu-system-x86)");
        Assumptions.assumeTrue(Files.isExecutable(TestRegistry.BINARY), "Debian's docker-registry is not installed");
        testNode = CriTestNode.create(VmmNodeTest.class, "atrium-vmm-it", "vmm", 180);
        testNode.ownsBridge(bridge);
        Path confDir = Files.createDirectories(testNode.work.resolve("net.d"));
        Files.writeString(confDir.resolve("10-vmm.conflist"), """
                {"cniVersion": "1.0.0", "name": "atrium-vmm-%s", "plugins": [
                  {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false,
                   "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s0/24"}]]}},
                  {"type": "loopback"}]}""".formatted(tag, bridge, testNode.work.resolve("ipam"), subnetPrefix),
                StandardCharsets.UTF_8);
        testNode.pushBusybox(Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin")));
        Assumptions.assumeTrue(Files.isReadable(testNode.unpack().home.resolve("guest/vmlinuz")),
                "the distribution ships no microVM guest (build sandboxer-bundles/vmm-guest, then distribution)");
        node = testNode.start(Map.of("atrium.cni.conf.dir", confDir.toString(), "atrium.vmm.accel", "tcg"));
        testNode.pull(testNode.image());
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private PodSandboxConfig pod(String name) {
        return testNode.pod(name, "vmm-it", "uid-" + name + tag).build();
    }

    private String container(String podId, PodSandboxConfig podConfig, String name, String script) {
        return testNode.createAndStart(podId, podConfig, testNode.container(name, "sh", "-c", script)
                .setLogPath(name + ".log").build());
    }

    private ExecSyncResponse exec(String id, String... cmd) {
        return testNode.exec(id, 60, cmd);
    }

    private long qemuPid(String podId) {
        String info = rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).setVerbose(true)
                .build()).getInfoMap().getOrDefault("info", "");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"qemuPid\":\"(\\d+)\"").matcher(info);
        assertTrue(m.find(), "no qemuPid in the verbose status: " + info);
        return Long.parseLong(m.group(1));
    }

    private static List<Long> qemuPids() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.startsWith("/usr/bin/qemu-system-x86_64") && cmd.contains("atrium-")) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return pids;
    }

    private static void waitFor(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!c.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    @Test
    @Order(1)
    void aVmPodRunsContainersThatLogExecShareLocalhostAndReachTheNetwork() throws Exception {
        List<Long> before = qemuPids();
        PodSandboxConfig config = pod("vm1");
        String podId = testNode.runPod(config);
        var status = rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).setVerbose(true)
                .build());
        assertEquals(io.atrium.cri.v1.PodSandboxState.SANDBOX_READY, status.getStatus().getState());
        String podIp = status.getStatus().getNetwork().getIp();
        assertTrue(podIp.startsWith(subnetPrefix), "CNI address: " + podIp);
        long pid = qemuPid(podId);
        assertTrue(pid > 0 && Files.exists(Path.of("/proc", Long.toString(pid))), "no QEMU for the pod: " + status);

        String web = container(podId, config, "web",
                "echo serving from $(hostname); mkdir -p /tmp/www && echo in-the-vm > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www");
        Path log = testNode.work.resolve("logs/vm1/web.log");
        waitFor(() -> Files.exists(log) && Files.readString(log).contains("serving from vm1"), "the web container's log line");
        assertTrue(Files.readString(log).matches("(?s)\\S+ stdout F serving from vm1\n.*"), Files.readString(log));

        String client = container(podId, config, "client", "exec sleep 1000");
        ExecSyncResponse fetched = null;
        for (int i = 0; i < 50; i++) { // httpd may still be starting under emulation
            fetched = exec(client, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/");
            if (fetched.getExitCode() == 0) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals(0, fetched.getExitCode(), fetched.getStderr().toStringUtf8());
        assertEquals("in-the-vm\n", fetched.getStdout().toStringUtf8());

        ExecSyncResponse failing = exec(client, "sh", "-c", "echo to-out; echo to-err >&2; exit 7");
        assertEquals(7, failing.getExitCode());
        assertEquals("to-out\n", failing.getStdout().toStringUtf8());
        assertEquals("to-err\n", failing.getStderr().toStringUtf8());

        // inbound too: the node reaches the web container at the pod's address (bridge -> veth -> tc -> tap -> VM),
        // the path the vmm sandboxer's port-forward dials
        java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + podIp + ":8080/"))
                        .timeout(java.time.Duration.ofSeconds(20)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals("in-the-vm\n", page.body());
        // CRI PortForward: the sandboxer dials the guest (the pod netns's own loopback is not the VM's)
        java.net.URI forward = java.net.URI.create(rt().portForward(io.atrium.cri.v1.PortForwardRequest.newBuilder()
                .setPodSandboxId(podId).addPort(8080).build()).getUrl());
        try (var ws = io.atrium.engine.streaming.testing.WebSocketTestClient.connect(forward, "v4.channel.k8s.io")) {
            ws.awaitBytes(1, 2, java.time.Duration.ofSeconds(30));
            ws.send(0, "GET /index.html HTTP/1.0\r\n\r\n");
            assertTrue(ws.awaitText(0, "in-the-vm", java.time.Duration.ofSeconds(30)).contains("in-the-vm"), ws.text(0));
        }

        ExecSyncResponse addr = exec(client, "busybox", "ip", "-4", "addr", "show", "eth0");
        assertTrue(addr.getStdout().toStringUtf8().contains(podIp + "/24"), "guest eth0: " + addr.getStdout().toStringUtf8());
        ExecSyncResponse ping = exec(client, "busybox", "ping", "-c", "2", "-W", "3", subnetPrefix + "1");
        assertEquals(0, ping.getExitCode(), "the VM reaches the CNI bridge through the tap: "
                + ping.getStdout().toStringUtf8() + ping.getStderr().toStringUtf8());

        String vmDir = rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).setVerbose(true)
                .build()).getInfoMap().getOrDefault("info", "");
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU (or its zombie) survived StopPodSandbox");
        assertEquals(ContainerState.CONTAINER_EXITED, rt().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(web).build()).getStatus().getState());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(before, qemuPids(), "QEMU processes left behind");
        Path run = node.state.resolve("sandboxers/vmm");
        try (Stream<Path> left = Files.list(run)) {
            assertEquals(List.of(), left.toList(), "VM directories (sockets, images) left in " + run + " (was " + vmDir + ")");
        }
        try (Stream<Path> left = Files.list(node.root.resolve("sandboxers/vmm/vms"))) {
            assertEquals(List.of(), left.toList(), "VM records left behind");
        }
    }

    @Test
    @Order(2)
    void theVmmBundleIsUpdatedWhileAVmPodRunsAndThePodStaysControllable() throws Exception {
        PodSandboxConfig config = pod("vm2");
        String podId = testNode.runPod(config);
        long pid = qemuPid(podId);
        String sleeper = container(podId, config, "sleeper", "echo up; exec sleep 1000");
        Path vmmJar;
        try (var jars = Files.list(node.home.resolve("bundles"))) {
            vmmJar = jars.filter(j -> j.getFileName().toString().startsWith("atrium-sandboxer-vmm-")).findFirst().orElseThrow();
        }
        String sandboxers = node.admin("sandboxers").toString();
        assertTrue(sandboxers.contains("QEMU 7.2") && sandboxers.contains("tcg"), "vmm sandboxer info: " + sandboxers);
        NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.sandboxer.vmm", vmmJar.toString());
        assertEquals(0, c.exit(), c.err() + "\n" + node.log());

        assertEquals(pid, qemuPid(podId), "the VM was replaced instead of re-adopted");
        assertEquals(ContainerState.CONTAINER_RUNNING, rt().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(sleeper).build()).getStatus().getState());
        ExecSyncResponse r = exec(sleeper, "sh", "-c", "echo after the update; exit 4");
        assertEquals(4, r.getExitCode());
        assertEquals("after the update\n", r.getStdout().toStringUtf8());
        String second = container(podId, config, "second", "echo second container; sleep 1000");
        Path log = testNode.work.resolve("logs/vm2/second.log");
        waitFor(() -> Files.exists(log) && Files.readString(log).contains("second container"), "the second container's log");

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU survived StopPodSandbox after the update");
        assertEquals(ContainerState.CONTAINER_EXITED, rt().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(second).build()).getStatus().getState());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
    }

    @Test
    @Order(3)
    void aNodeRestartReadoptsTheRunningVm() throws Exception {
        PodSandboxConfig config3 = pod("vm3");
        String podId = testNode.runPod(config3);
        long pid = qemuPid(podId);
        String sleeper = container(podId, config3, "sleeper", "echo before the restart; exec sleep 1000");

        testNode.cri().close();
        assertTrue(node.terminate(30), "node did not stop");
        assertTrue(Files.exists(Path.of("/proc", Long.toString(pid))), "the VM must outlive the node process");
        testNode.restart();

        assertEquals(pid, qemuPid(podId), "the VM was not re-adopted");
        assertEquals(ContainerState.CONTAINER_RUNNING, rt().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(sleeper).build()).getStatus().getState());
        ExecSyncResponse r = exec(sleeper, "sh", "-c", "echo after the restart");
        assertEquals(0, r.getExitCode(), r.getStderr().toStringUtf8());
        assertEquals("after the restart\n", r.getStdout().toStringUtf8());
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU survived StopPodSandbox after the restart");
    }

    @Test
    @Order(4)
    void unsupportedRequestsAreInvalidArgumentsAndLeaveNoVm() throws Exception {
        List<Long> before = qemuPids();
        PodSandboxConfig hostNet = pod("hostnet").toBuilder().setLinux(LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                        NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE)))).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> testNode.runPod(hostNet));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getMessage().contains("host network"), e.getMessage());

        PodSandboxConfig privileged = pod("priv").toBuilder().setLinux(LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setPrivileged(true))).build();
        String podId = testNode.runPod(privileged, "kata"); // Kata users' handler name maps to the same sandboxer
        assertTrue(rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).setVerbose(true)
                .build()).getInfoMap().getOrDefault("info", "").contains("\"sandboxer\":\"vmm\""));
        StatusRuntimeException p = assertThrows(StatusRuntimeException.class, () -> rt().createContainer(
                CreateContainerRequest.newBuilder().setPodSandboxId(podId).setSandboxConfig(privileged)
                        .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("p"))
                                .setImage(ImageSpec.newBuilder().setImage(testNode.image())).addAllCommand(List.of("true"))
                                .setLinux(io.atrium.cri.v1.LinuxContainerConfig.newBuilder().setSecurityContext(
                                        LinuxContainerSecurityContext.newBuilder().setPrivileged(true))))
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, p.getStatus().getCode(), p.getMessage());
        assertTrue(p.getMessage().contains("privileged"), p.getMessage());
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(before, qemuPids(), "QEMU processes left behind");
    }
}
