package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatusRequest;
import io.atrium.cri.v1.ExecSyncResponse;
import io.atrium.cri.v1.LinuxContainerConfig;
import io.atrium.cri.v1.LinuxContainerSecurityContext;
import io.atrium.cri.v1.LinuxPodSandboxConfig;
import io.atrium.cri.v1.LinuxSandboxSecurityContext;
import io.atrium.cri.v1.ListContainersRequest;
import io.atrium.cri.v1.ListPodSandboxRequest;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxState;
import io.atrium.cri.v1.PodSandboxStatusRequest;
import io.atrium.cri.v1.RemoveContainerRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StopContainerRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * gVisor pods end to end: a real node from the tarball, real runsc (ptrace platform), images pulled from a
 * real local registry, a Java CRI client on the node's socket; a runc pod beside them, chosen by handler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GvisorNodeTest {
    private static final Path RUNSC = Path.of("/usr/bin/runsc");

    @AutoClose
    private CriTestNode testNode;
    private NodeProcess node;
    private String gvPod;
    private PodSandboxConfig gvPodConfig;
    private String server;
    private String client;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Files.isExecutable(RUNSC), "runsc (Debian package runsc) is not installed");
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "runsc sandboxes need root");
        testNode = CriTestNode.create(GvisorNodeTest.class, "atrium-gvisor-it", "gvisor", 120);
        String image = testNode.pushBusybox(Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin"),
                "StopSignal", "SIGTERM"));
        node = testNode.start(Map.of("atrium.gvisor.platform", "ptrace"));
        testNode.pull(image);
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private PodSandboxConfig.Builder pod(String name) {
        return testNode.pod(name, "it", "uid-" + name);
    }

    private ExecSyncResponse exec(String id, String... cmd) {
        return testNode.exec(id, 20, cmd);
    }

    private String out(String id, String... cmd) {
        return exec(id, cmd).getStdout().toStringUtf8().trim();
    }

    private static String hostKernel() throws Exception {
        return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    }

    @Test
    @Order(1)
    void aGvisorPodRunsOnGvisorsKernelAndItsContainersShareLocalhostAndHostname() throws Exception {
        gvPodConfig = pod("gv").build();
        gvPod = testNode.runPod(gvPodConfig, "gvisor");
        server = testNode.createAndStart(gvPod, gvPodConfig, testNode.container("server", "sh", "-c",
                "echo hello-out; echo hello-err >&2; while true; do echo pong | busybox nc -l -p 7777; done").build());
        client = testNode.createAndStart(gvPod, gvPodConfig,
                testNode.container("client", "/bin/busybox", "sleep", "3600").build());
        assertEquals(ContainerState.CONTAINER_RUNNING, testNode.state(server));

        String dmesg = out(client, "/bin/busybox", "dmesg");
        assertTrue(dmesg.lines().findFirst().orElse("").endsWith("Starting gVisor..."), "gVisor's kernel log: " + dmesg);
        String uname = out(client, "/bin/busybox", "uname", "-r");
        assertFalse(uname.equals(hostKernel()), "uname -r is gVisor's, not the host's " + hostKernel());

        ExecSyncResponse viaLocalhost = null;
        for (int i = 0; i < 50; i++) {
            viaLocalhost = exec(client, "sh", "-c", "busybox nc 127.0.0.1 7777 </dev/null");
            if (viaLocalhost.getStdout().toStringUtf8().contains("pong")) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals("pong", viaLocalhost.getStdout().toStringUtf8().trim(), "the client reaches the server on localhost");
        assertEquals("gv", out(server, "/bin/busybox", "hostname"));
        assertEquals("gv", out(client, "/bin/busybox", "hostname"));

        ExecSyncResponse both = exec(client, "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertEquals("to-out\n", both.getStdout().toStringUtf8());
        assertEquals("to-err\n", both.getStderr().toStringUtf8());
        assertEquals(3, both.getExitCode());

        Path log = testNode.logs.resolve("gv/server/0.log");
        String text = CriTestNode.awaitLog(log, "hello-out", "hello-err");
        assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stdout F hello-out")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stderr F hello-err")), text);

        var status = rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(gvPod).build()).getStatus();
        assertEquals(PodSandboxState.SANDBOX_READY, status.getState());
        assertEquals("gvisor", status.getRuntimeHandler());
    }

    @Test
    @Order(2)
    void stopKillAndRemoveAContainer() throws Exception {
        String sleeper = testNode.createAndStart(gvPod, gvPodConfig,
                testNode.container("sleeper", "/bin/busybox", "sleep", "3600").build());
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(sleeper).setTimeout(2).build());
        var st = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(sleeper).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_EXITED, st.getState());
        assertTrue(st.getExitCode() == 143 || st.getExitCode() == 137, "SIGTERM, then SIGKILL: " + st.getExitCode());

        String trapper = testNode.createAndStart(gvPod, gvPodConfig, testNode.container("trapper", "sh", "-c",
                "trap '' TERM; while true; do sleep 1; done").build());
        long t0 = System.nanoTime();
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(trapper).setTimeout(1).build());
        var killed = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(trapper).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_EXITED, killed.getState());
        assertEquals(137, killed.getExitCode(), "a container ignoring SIGTERM is killed after the timeout");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));

        for (String id : List.of(sleeper, trapper)) {
            rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> testNode.state(sleeper))
                .getStatus().getCode());
    }

    @Test
    @Order(3)
    void aRuncPodAndAGvisorPodRunSideBySideChosenByHandler() throws Exception {
        PodSandboxConfig runcConfig = pod("plain").build();
        String runcPod = testNode.runPod(runcConfig, "runc");
        String plain = testNode.createAndStart(runcPod, runcConfig,
                testNode.container("plain", "/bin/busybox", "sleep", "3600").build());
        assertEquals(hostKernel(), out(plain, "/bin/busybox", "uname", "-r"), "the runc pod shares the host's kernel");
        assertFalse(out(client, "/bin/busybox", "uname", "-r").equals(hostKernel()), "the gVisor pod does not");
        var handlers = rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                .map(p -> p.getMetadata().getName() + "=" + p.getRuntimeHandler()).sorted().toList();
        assertEquals(List.of("gv=gvisor", "plain=runc"), handlers);

        JsonNode gvisor = null;
        for (JsonNode row : node.admin("sandboxers")) {
            if (row.path("name").asText().equals("gvisor")) {
                gvisor = row;
            }
        }
        assertTrue(gvisor != null, "atrium sandboxers lists gvisor");
        assertEquals("active", gvisor.path("state").asText(), gvisor.toString());
        assertTrue(gvisor.path("technology").asText().matches("runsc \\S+ \\(ptrace\\)"), gvisor.toString());
        assertEquals("ptrace", gvisor.path("details").path("platform").asText(), gvisor.toString());
        var cli = node.cli("sandboxers");
        assertTrue(cli.out().contains("gvisor") && cli.out().contains("runsc"), cli.out() + cli.err());

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(runcPod).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(runcPod).build());
    }

    @Test
    @Order(4)
    void unsupportedOptionsAreRefusedAsInvalidArgumentNamingTheOption() throws Exception {
        PodSandboxConfig privilegedPod = pod("priv").setLinux(LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setPrivileged(true))).build();
        String privPod = testNode.runPod(privilegedPod, "gvisor");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> testNode.create(privPod, privilegedPod,
                testNode.container("priv", "/bin/busybox", "sleep", "10").setLinux(LinuxContainerConfig.newBuilder()
                        .setSecurityContext(LinuxContainerSecurityContext.newBuilder().setPrivileged(true))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("privileged"), e.getStatus().getDescription());
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(privPod).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(privPod).build());

        PodSandboxConfig hostPid = pod("hostpid").setLinux(LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                        NamespaceOption.newBuilder().setPid(NamespaceMode.NODE)))).build();
        e = assertThrows(StatusRuntimeException.class, () -> testNode.runPod(hostPid, "gvisor"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("host PID namespace"), e.getStatus().getDescription());
        assertEquals(List.of("gv"), rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                .map(p -> p.getMetadata().getName()).toList(), "no refused pod is left listed");
    }

    @Test
    @Order(5)
    void theNodeRestartedWithAGvisorPodRunningFindsAndControlsIt() throws Exception {
        var before = rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                .map(c -> c.getId() + c.getState()).sorted().toList();
        testNode.cri().close();
        assertTrue(node.terminate(30), "node stops on SIGTERM");
        testNode.restart();
        assertEquals(before, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                .map(c -> c.getId() + c.getState()).sorted().toList());
        assertEquals(PodSandboxState.SANDBOX_READY, rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(gvPod).build()).getStatus().getState());
        assertEquals("gv", out(client, "/bin/busybox", "hostname"), "exec after restart");
        assertEquals("pong", out(client, "sh", "-c", "busybox nc 127.0.0.1 7777 </dev/null"), "localhost after restart");
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(client).setTimeout(2).build());
        var st = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(client).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_EXITED, st.getState());
        assertTrue(st.getExitCode() == 143 || st.getExitCode() == 137,
                "gVisor still knows the exit code after a node restart: " + st.getExitCode());
    }

    @Test
    @Order(6)
    void removingTheGvisorPodLeavesNoRunscStateMountsCgroupsOrProcesses() throws Exception {
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(gvPod).build());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(gvPod).build()).getStatus().getState());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(gvPod).build());
        assertEquals(0, rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
        assertEquals(0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());

        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mountinfo.contains(node.root.toString()), "no mounts under the node root:\n" + mountinfo);
        assertFalse(mountinfo.contains(node.state.toString()), "no mounts under the state dir:\n" + mountinfo);
        assertEquals(List.of(), list(node.state.resolve("sandboxers/gvisor/runsc")), "runsc state left");
        assertEquals(List.of(), list(node.state.resolve("sandboxers/gvisor/pods")), "pod files left");
        assertEquals(List.of(), list(node.root.resolve("sandboxers/gvisor/pods")), "pod records left");
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                assertFalse(Files.exists(h.resolve("atrium").resolve(gvPod)), "cgroup left: " + h.resolve("atrium").resolve(gvPod));
            }
        }
        List<String> runsc = new ArrayList<>();
        String root = node.state.resolve("sandboxers/gvisor/runsc").toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    if (cmd.contains(root)) {
                        runsc.add(cmd);
                    }
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        assertEquals(List.of(), runsc, "no runsc process of this node is left");
    }

    private static List<String> list(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
