package io.atrium.itests;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatus;
import io.atrium.cri.v1.ContainerStatusRequest;
import io.atrium.cri.v1.CreateContainerRequest;
import io.atrium.cri.v1.ExecSyncRequest;
import io.atrium.cri.v1.ExecSyncResponse;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.ListPodSandboxRequest;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RunPodSandboxRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StartContainerRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.TestRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The fixture of the CRI-level node tests: a work directory, a real local registry to pull images from, a
 * node from the tarball started with the test's extra {@code [properties]} lines (and a free metrics port of
 * its own: other nodes on this machine may hold the default one), a CRI client on its socket, and the
 * pod/container request builders the tests share. Closing it removes the pods a failed test left (they
 * outlive the node by design), keeps the node log in {@code target/<Test>-node.log} and stops node and registry.
 */
final class CriTestNode implements AutoCloseable {
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    final Path work;
    /** Where pods made by {@link #pod} write their container logs: {@code logs/<pod name>}. */
    final Path logs;
    final TestRegistry registry;
    private final String testName;
    private final String handler;
    private final long deadlineSeconds;
    private NodeProcess process;
    private Path config;
    private int metricsPort;
    private CriClient cri;
    private String image;
    private String bridge;
    private String ipForwardBefore;

    private CriTestNode(String testName, Path work, TestRegistry registry, String handler, long deadlineSeconds) {
        this.testName = testName;
        this.work = work;
        this.logs = work.resolve("logs");
        this.registry = registry;
        this.handler = handler;
        this.deadlineSeconds = deadlineSeconds;
    }

    /**
     * A new work directory and a running registry; the node starts with {@link #start}.
     *
     * @param handler the runtime handler {@link #runPod(PodSandboxConfig)} asks for ("" for the node's default)
     * @param deadlineSeconds the deadline of every call made through {@link #rt()}
     */
    static CriTestNode create(Class<?> test, String workPrefix, String handler, long deadlineSeconds) throws Exception {
        Path work = Files.createTempDirectory(workPrefix);
        TestRegistry registry = new TestRegistry(Files.createDirectories(work.resolve("registry")));
        return new CriTestNode(test.getSimpleName(), work, registry, handler, deadlineSeconds);
    }

    /** Pushes a busybox image with this run config as {@code it/busybox:1}; it becomes {@link #image()}. */
    String pushBusybox(Map<String, Object> runConfig) throws Exception {
        registry.pushVia(ImageWriter.image("amd64", runConfig, List.of(ImageWriter.busyboxLayer())), "it/busybox", "1");
        return useImage(registry.host() + "/it/busybox:1");
    }

    /** The image {@link #container} runs. */
    String useImage(String ref) {
        this.image = ref;
        return ref;
    }

    String image() {
        return image;
    }

    /** The unpacked node, not started yet (so a test can check what the distribution ships first). */
    NodeProcess unpack() throws Exception {
        if (process == null) {
            process = NodeProcess.unpack();
        }
        return process;
    }

    /** Starts the node with conf/atrium.toml plus these properties (appended to its last, [properties], section). */
    NodeProcess start(Map<String, String> properties) throws Exception {
        unpack();
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = probe.getLocalPort();
        }
        StringBuilder toml = new StringBuilder(Files.readString(process.home.resolve("conf/atrium.toml")));
        toml.append("\"atrium.metrics.address\" = \"127.0.0.1:").append(metricsPort).append("\"\n");
        properties.forEach((k, v) -> toml.append('"').append(k).append("\" = \"").append(v).append("\"\n"));
        config = work.resolve("atrium.toml");
        Files.writeString(config, toml);
        process.start("--config", config.toString());
        cri = CriClient.connect(process.state.resolve("atrium.sock"));
        return process;
    }

    /** Starts the stopped node again with the same config and connects a new CRI client. */
    void restart() throws Exception {
        cri.close();
        process.start("--config", config.toString());
        cri = CriClient.connect(process.state.resolve("atrium.sock"));
    }

    /** Pulls {@code ref} over the CRI; returns the image ref the node answers. */
    String pull(String ref) {
        return cri.image().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build())
                .getImageRef();
    }

    CriClient cri() {
        return cri;
    }

    int metricsPort() {
        return metricsPort;
    }

    RuntimeServiceBlockingStub rt() {
        return cri.runtime().withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS);
    }

    /** A pod config named {@code name}, logging to {@code logs/<name>}. */
    PodSandboxConfig.Builder pod(String name, String namespace, String uid) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(namespace).setUid(uid))
                .setHostname(name).setLogDirectory(logs.resolve(name).toString());
    }

    /** Runs the pod with the fixture's runtime handler. */
    String runPod(PodSandboxConfig config) {
        return runPod(config, handler);
    }

    String runPod(PodSandboxConfig config, String runtimeHandler) {
        return rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).setRuntimeHandler(runtimeHandler)
                .build()).getPodSandboxId();
    }

    /** A container of {@link #image()} running {@code cmd}, logging to {@code <name>/0.log}. */
    ContainerConfig.Builder container(String name, String... cmd) {
        return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image)).addAllCommand(List.of(cmd)).setLogPath(name + "/0.log");
    }

    String create(String podId, PodSandboxConfig podConfig, ContainerConfig config) {
        return rt().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config)
                .setSandboxConfig(podConfig).build()).getContainerId();
    }

    String createAndStart(String podId, PodSandboxConfig podConfig, ContainerConfig config) {
        String id = create(podId, podConfig, config);
        rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    ExecSyncResponse exec(String id, long timeoutSeconds, String... cmd) {
        return rt().execSync(ExecSyncRequest.newBuilder().setContainerId(id).addAllCmd(List.of(cmd))
                .setTimeout(timeoutSeconds).build());
    }

    ContainerStatus status(String id) {
        return rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    ContainerState state(String id) {
        return status(id).getState();
    }

    /**
     * The test's CNI config makes this host bridge (and the bridge plugin turns on net.ipv4.ip_forward): closing
     * the fixture deletes the bridge, restores ip_forward as it is now and removes the work directory.
     */
    void ownsBridge(String name) throws IOException {
        ipForwardBefore = Files.readString(IP_FORWARD).trim();
        bridge = name;
    }

    /** The file at {@code log} once it holds all of {@code texts}, or what it holds after about 5 s. */
    static String awaitLog(Path log, String... texts) throws IOException, InterruptedException {
        String text = "";
        for (int i = 0; i < 50 && !containsAll(text, texts); i++) {
            Thread.sleep(100);
            text = Files.exists(log) ? Files.readString(log) : "";
        }
        return text;
    }

    private static boolean containsAll(String text, String... texts) {
        return Stream.of(texts).allMatch(text::contains);
    }

    @Override
    public void close() throws Exception {
        try {
            if (cri != null) {
                cri.close();
                removeLeftPods();
            }
            if (process != null) {
                try {
                    Files.createDirectories(Path.of("target"));
                    Files.writeString(Path.of("target/" + testName + "-node.log"), process.log());
                } finally {
                    process.close();
                }
            }
        } finally {
            try {
                registry.close();
            } finally {
                if (bridge != null) {
                    new ProcessBuilder("ip", "link", "del", bridge).start().waitFor();
                    Files.writeString(IP_FORWARD, ipForwardBefore);
                    deleteWork();
                }
            }
        }
    }

    private void deleteWork() throws IOException {
        try (Stream<Path> files = Files.walk(work)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Best effort with a client of its own (a test may have closed the shared one); the node may be down. */
    private void removeLeftPods() throws InterruptedException {
        try (CriClient c = CriClient.connect(process.state.resolve("atrium.sock"))) {
            RuntimeServiceBlockingStub rt = c.runtime().withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS);
            for (var p : rt.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
                rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
                rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
            }
        } catch (RuntimeException e) {
            System.err.println(testName + ": could not remove left pods: " + e);
        }
    }
}
