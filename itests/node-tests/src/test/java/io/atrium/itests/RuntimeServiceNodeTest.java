package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatusRequest;
import io.atrium.cri.v1.CreateContainerRequest;
import io.atrium.cri.v1.ExecSyncResponse;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxContainerConfig;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.ListContainersRequest;
import io.atrium.cri.v1.ListPodSandboxRequest;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxState;
import io.atrium.cri.v1.PodSandboxStatusRequest;
import io.atrium.cri.v1.RemoveContainerRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RunPodSandboxRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StartContainerRequest;
import io.atrium.cri.v1.StatusRequest;
import io.atrium.cri.v1.StopContainerRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.atrium.cri.v1.UpdateContainerResourcesRequest;
import io.atrium.cri.v1.VersionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The CRI RuntimeService end to end: a real node from the tarball, the runc sandboxer, images
 * pulled from a real local registry, a Java CRI client on the node's socket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RuntimeServiceNodeTest {
    @AutoClose
    private CriTestNode testNode;
    private NodeProcess node;
    private String image;

    @BeforeAll
    void start() throws Exception {
        testNode = CriTestNode.create(RuntimeServiceNodeTest.class, "atrium-runtime-it", "", 120);
        image = testNode.pushBusybox(Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin", "FROM_IMAGE=yes"),
                "StopSignal", "SIGTERM"));
        node = testNode.start(Map.of());
        testNode.pull(image);
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private PodSandboxConfig pod(String name, String uid) {
        return testNode.pod(name, "it", uid).setLogDirectory(testNode.logs.resolve(uid).toString())
                .putLabels("suite", "runtime").build();
    }

    private ContainerConfig.Builder container(String name, String... cmd) {
        return testNode.container(name, cmd).putLabels("name", name);
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    @Order(1)
    void versionAndStatus() {
        var v = rt().version(VersionRequest.newBuilder().setVersion("v1").build());
        assertEquals("atrium", v.getRuntimeName());
        assertEquals("v1", v.getRuntimeApiVersion());
        var conditions = rt().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList();
        assertTrue(conditions.stream().anyMatch(c -> c.getType().equals("RuntimeReady") && c.getStatus()), conditions.toString());
        assertTrue(conditions.stream().anyMatch(c -> c.getType().equals("NetworkReady") && !c.getStatus()
                && c.getReason().equals("NoCNIConfig")), conditions.toString());
    }

    @Test
    @Order(2)
    void twoContainersShareLocalhostAndHostnameLogBothStreamsAndExec() throws Exception {
        PodSandboxConfig config = pod("web", "uid-web");
        String podId = testNode.runPod(config);
        String server = testNode.createAndStart(podId, config, container("server", "sh", "-c",
                "echo hello-out; echo hello-err >&2; while true; do echo pong | busybox nc -l -p 7777; done").build());
        String client = testNode.createAndStart(podId, config, container("client", "/bin/busybox", "sleep", "3600").build());
        assertEquals(ContainerState.CONTAINER_RUNNING, testNode.state(server));

        ExecSyncResponse viaLocalhost = null;
        for (int i = 0; i < 50; i++) {
            viaLocalhost = testNode.exec(client, 10, "sh", "-c", "busybox nc 127.0.0.1 7777 </dev/null");
            if (viaLocalhost.getStdout().toStringUtf8().contains("pong")) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals("pong", viaLocalhost.getStdout().toStringUtf8().trim(), "the client reaches the server on localhost");
        assertEquals("web", testNode.exec(server, 10, "/bin/busybox", "hostname").getStdout().toStringUtf8().trim());
        assertEquals("web", testNode.exec(client, 10, "/bin/busybox", "hostname").getStdout().toStringUtf8().trim());
        assertTrue(testNode.exec(client, 10, "/bin/busybox", "env")
                .getStdout().toStringUtf8().contains("FROM_IMAGE=yes"), "image env applied");

        ExecSyncResponse both = testNode.exec(client, 10, "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertEquals("to-out\n", both.getStdout().toStringUtf8());
        assertEquals("to-err\n", both.getStderr().toStringUtf8());
        assertEquals(3, both.getExitCode());

        long t0 = System.nanoTime();
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(() -> testNode.exec(client, 1, "/bin/busybox", "sleep", "30")));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "the exec timeout is honoured");

        Path log = testNode.logs.resolve("uid-web/server/0.log");
        String text = CriTestNode.awaitLog(log, "hello-out", "hello-err");
        assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stdout F hello-out")), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("\\S+ stderr F hello-err")), text);

        var listed = rt().listContainers(ListContainersRequest.newBuilder().setFilter(io.atrium.cri.v1.ContainerFilter
                .newBuilder().setPodSandboxId(podId).putLabelSelector("name", "client")).build()).getContainersList();
        assertEquals(List.of(client), listed.stream().map(c -> c.getId()).toList());
    }

    @Test
    @Order(2)
    void containerEventsStreamAndMetricsCountCalls() throws Exception {
        var events = new java.util.concurrent.LinkedBlockingQueue<io.atrium.cri.v1.ContainerEventResponse>();
        var ctx = io.grpc.Context.current().withCancellation();
        try {
            // A blocking server stream starts only when iterated; run it on its own thread.
            java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
            reader.submit(() -> ctx.run(() -> testNode.cri().runtime().withDeadlineAfter(120, TimeUnit.SECONDS)
                    .getContainerEvents(io.atrium.cri.v1.GetEventsRequest.getDefaultInstance()).forEachRemaining(events::add)));
            Thread.sleep(500);
            PodSandboxConfig cfg = pod("events", "uid-events");
            String podId = testNode.runPod(cfg);
            String id = testNode.createAndStart(podId, cfg, container("short", "/bin/sh", "-c", "exit 0").build());
            java.util.Set<io.atrium.cri.v1.ContainerEventType> seen = java.util.EnumSet.noneOf(io.atrium.cri.v1.ContainerEventType.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!seen.contains(io.atrium.cri.v1.ContainerEventType.CONTAINER_STOPPED_EVENT) && System.nanoTime() < deadline) {
                var e = events.poll(1, TimeUnit.SECONDS);
                if (e != null && e.getContainerId().equals(id)) {
                    seen.add(e.getContainerEventType());
                }
            }
            assertTrue(seen.containsAll(java.util.EnumSet.of(io.atrium.cri.v1.ContainerEventType.CONTAINER_CREATED_EVENT,
                    io.atrium.cri.v1.ContainerEventType.CONTAINER_STARTED_EVENT,
                    io.atrium.cri.v1.ContainerEventType.CONTAINER_STOPPED_EVENT)), "events seen: " + seen);
            rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            reader.shutdownNow();
        } finally {
            ctx.cancel(null);
        }

        var http = java.net.http.HttpClient.newHttpClient();
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + testNode.metricsPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("atrium_cri_requests_total")
                && l.contains("method=\"RunPodSandbox\"") && l.contains("sandboxer=\"runc\"")), metrics);
        assertTrue(metrics.contains("atrium_cri_request_duration_seconds_bucket"), metrics);
    }

    @Test
    @Order(3)
    void stopKillsAProcessIgnoringSigtermAfterTheTimeout() {
        PodSandboxConfig config = pod("stubborn", "uid-stubborn");
        String podId = testNode.runPod(config);
        String id = testNode.createAndStart(podId, config, container("ignore", "sh", "-c",
                "trap '' TERM; while true; do busybox sleep 1; done").build());
        long t0 = System.nanoTime();
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
        long took = System.nanoTime() - t0;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(1900), "waited for the timeout: " + took);
        assertTrue(took < TimeUnit.SECONDS.toNanos(30), "then killed: " + took);
        var status = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_EXITED, status.getState());
        assertEquals(137, status.getExitCode());
        // idempotent
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
    }

    @Test
    @Order(4)
    void limitsAreInTheCgroupAndUpdateChangesThem() {
        PodSandboxConfig config = pod("limited", "uid-limited");
        String podId = testNode.runPod(config);
        ContainerConfig c = container("limited", "/bin/busybox", "sleep", "3600").setLinux(LinuxContainerConfig.newBuilder()
                .setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20)
                        .setCpuQuota(50000).setCpuPeriod(100000))).build();
        String id = testNode.createAndStart(podId, config, c);
        assertEquals(String.valueOf(64L << 20),
                testNode.exec(id, 10, "/bin/busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
                        .getStdout().toStringUtf8().trim());
        assertEquals("50000", testNode.exec(id, 10, "/bin/busybox", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
                .getStdout().toStringUtf8().trim());
        rt().updateContainerResources(UpdateContainerResourcesRequest.newBuilder().setContainerId(id)
                .setLinux(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(128L << 20).setCpuQuota(20000)
                        .setCpuPeriod(100000)).build());
        assertEquals(String.valueOf(128L << 20),
                testNode.exec(id, 10, "/bin/busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
                        .getStdout().toStringUtf8().trim());
        assertEquals(128L << 20, rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                .getStatus().getResources().getLinux().getMemoryLimitInBytes());
    }

    @Test
    @Order(5)
    void badInputGetsTheRightCodeAndLeavesNothingBehind() {
        int podsBefore = rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount();
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rt().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(PodSandboxConfig.newBuilder().setHostname("x")).build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rt().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(pod("handler", "uid-h")).setRuntimeHandler("no-such-handler").build())));
        PodSandboxConfig.Builder huge = pod("huge", "uid-huge").toBuilder();
        huge.putAnnotations("big", "x".repeat(300 * 1024));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> testNode.runPod(huge.build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> testNode.runPod(pod("bad/name", "uid-bad"))));

        PodSandboxConfig dup = pod("dup", "uid-dup");
        String podId = testNode.runPod(dup);
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> testNode.runPod(dup)));
        String name = "once";
        String c1 = testNode.createAndStart(podId, dup, container(name, "/bin/busybox", "sleep", "3600").build());
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> testNode.createAndStart(podId, dup,
                container(name, "/bin/busybox", "sleep", "1").build())));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> rt().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(ContainerConfig.newBuilder().setImage(ImageSpec.newBuilder().setImage(image))).build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> rt().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(container("noimage", "/bin/busybox", "true").setImage(ImageSpec.newBuilder()
                        .setImage(testNode.registry.host() + "/it/missing:1"))).build())));
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> rt().startContainer(
                StartContainerRequest.newBuilder().setContainerId(c1).build())));

        String unknown = "f".repeat(64);
        assertEquals(Status.Code.NOT_FOUND, code(() -> rt().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(unknown).build())));
        assertEquals(Status.Code.NOT_FOUND, code(() -> testNode.state(unknown)));
        assertEquals(Status.Code.NOT_FOUND, code(() -> testNode.exec(unknown, 1, "/bin/busybox", "true")));
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());

        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(ContainerState.CONTAINER_EXITED, testNode.state(c1), "stopping a pod stops its containers");
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(podId).build()).getStatus().getState());
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> rt().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(container("late", "/bin/busybox", "true")).build())));
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(podsBefore, rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount(),
                "failed and removed pods leave no record");
    }

    @Test
    @Order(6)
    void theRuncSandboxerBundleIsUpdatedWhilePodsRunAndTheyStayControllable() throws Exception {
        PodSandboxConfig cfg = pod("upd", "uid-upd");
        String podId = testNode.runPod(cfg);
        String sleeper = testNode.createAndStart(podId, cfg,
                container("sleeper", "/bin/sh", "-c", "echo up; exec sleep 1000").build());
        var before = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(sleeper).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_RUNNING, before.getState());

        NodeProcess.Cli ps = node.cli("ps");
        assertEquals(0, ps.exit(), ps.err());
        assertTrue(ps.out().contains("sleeper"), "atrium ps lists the container: " + ps.out());
        NodeProcess.Cli pods = node.cli("pods");
        assertTrue(pods.out().contains("upd"), "atrium pods lists the pod: " + pods.out());

        // The shipped runc sandboxer jar (signed by the build) installed again: a real update of the
        // bundle, with deactivation of the old instance and re-adoption by the new one.
        Path runcJar;
        try (Stream<Path> jars = Files.list(node.home.resolve("bundles"))) {
            runcJar = jars.filter(j -> j.getFileName().toString().startsWith("atrium-sandboxer-runc-")).findFirst().orElseThrow();
        }
        NodeProcess.Cli update = node.cli("bundle", "update", "io.atrium.sandboxer.runc", runcJar.toString());
        assertEquals(0, update.exit(), update.err() + node.log());

        var after = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(sleeper).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_RUNNING, after.getState(), "still running after the update");
        assertEquals(before.getStartedAt(), after.getStartedAt(), "the same process, not a restart");
        assertEquals("still here", testNode.exec(sleeper, 20, "/bin/busybox", "echo", "still here")
                .getStdout().toStringUtf8().trim());
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(sleeper).setTimeout(1).build());
        var stopped = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(sleeper).build()).getStatus();
        assertEquals(ContainerState.CONTAINER_EXITED, stopped.getState());
        assertTrue(stopped.getExitCode() == 137 || stopped.getExitCode() == 143,
                "the exit code is still observed after a bundle update: " + stopped.getExitCode());
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
    }

    @Test
    @Order(7)
    void aNodeRestartKeepsEverythingListedRunningAndStoppable() throws Exception {
        var podsBefore = rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
        var containersBefore = rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
        String web = podsBefore.stream().filter(p -> p.getMetadata().getName().equals("web")).findFirst().orElseThrow().getId();
        String client = containersBefore.stream().filter(c -> c.getMetadata().getName().equals("client")).findFirst()
                .orElseThrow().getId();
        testNode.cri().close();
        assertTrue(node.terminate(30), "node stops on SIGTERM");
        testNode.restart();
        assertEquals(podsBefore.stream().map(p -> p.getId() + p.getState()).sorted().toList(),
                rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                        .map(p -> p.getId() + p.getState()).sorted().toList());
        assertEquals(containersBefore.stream().map(c -> c.getId() + c.getState()).sorted().toList(),
                rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                        .map(c -> c.getId() + c.getState()).sorted().toList());
        assertEquals("web", testNode.exec(client, 20, "/bin/busybox", "hostname").getStdout().toStringUtf8().trim(),
                "exec after restart");
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(client).setTimeout(1).build());
        assertEquals(ContainerState.CONTAINER_EXITED, testNode.state(client));
        rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(web).build());
    }

    @Test
    @Order(8)
    void removingEverythingLeavesNoMountsNamespacesOrState() throws Exception {
        List<String> podIds = rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                .map(p -> p.getId()).toList();
        for (var p : rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
            rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
            rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
        }
        assertEquals(0, rt().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
        assertEquals(0, rt().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mountinfo.contains(node.root.toString()), "no mounts under the node root:\n" + mountinfo);
        assertFalse(mountinfo.contains(node.state.toString()), "no mounts under the state dir:\n" + mountinfo);
        try (Stream<Path> left = Files.list(node.root.resolve("engine/pods"))) {
            assertEquals(List.of(), left.toList());
        }
        try (Stream<Path> left = Files.list(node.root.resolve("engine/containers"))) {
            assertEquals(List.of(), left.toList());
        }
        // No pod cgroup left in any v1 hierarchy.
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                for (String id : podIds) {
                    assertFalse(Files.exists(h.resolve("atrium").resolve(id)), "cgroup left: " + h.resolve("atrium").resolve(id));
                }
            }
        }
        Path netns = node.state.resolve("netns");
        if (Files.exists(netns)) {
            try (Stream<Path> left = Files.list(netns)) {
                assertEquals(List.of(), left.toList(), "no pinned namespaces left");
            }
        }
    }
}
