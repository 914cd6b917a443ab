package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ListPodSandboxRequest;
import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.atrium.engine.cri.client.CriClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Live upgrade on a real node, seen from kubelet's side of the CRI socket: a client outside the node
 * issues 50 CRI calls per second for 20 s, every fifth on a brand-new connection (plus a raw
 * connect), while first the bundle serving RuntimeService and then the CRI server bundle itself are
 * updated: with a small fixture RuntimeService (Version), then, when the distribution ships it, with
 * the engine's own RuntimeService (ListPodSandbox). Refused connections and failed calls are
 * counted; both must be zero.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveUpgradeTest {

    private static final int CALLS_PER_SECOND = 50;
    private static final Duration LOAD = Duration.ofSeconds(20);
    /** The update starts this far into the load, so calls run before, during and after it. */
    private static final Duration UPDATE_AFTER = Duration.ofSeconds(5);

    /** The engine's own RuntimeService bundle, when the distribution ships it. */
    private static final String REAL_RUNTIME = "io.atrium.engine.runtime";

    private NodeProcess node;
    private Path socket;
    private boolean realRuntime;

    @BeforeAll
    void startNode() throws Exception {
        node = NodeProcess.unpack().start();
        socket = node.state.resolve("atrium.sock");
        realRuntime = node.admin("bundle", "list").toString().contains("\"" + REAL_RUNTIME + "\"") && answersListPods(30);
        if (realRuntime) {
            // the fixture must be the only RuntimeService provider, or its swap would just fall back to the engine's
            NodeProcess.Cli stop = node.cli("bundle", "stop", REAL_RUNTIME);
            assertEquals(0, stop.exit(), stop.err());
        }
        NodeProcess.Cli c = node.cli("bundle", "install", NodeProcess.fixture("cri-runtime-v1").toString());
        assertEquals(0, c.exit(), c.err());
        awaitVersion("1.0.0");
    }

    @AfterAll
    void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void updatingTheRuntimeServiceBundleUnderLoadRefusesNothingAndFailsNoCall() throws Exception {
        Load load = underLoad(LiveUpgradeTest::version, () -> {
            NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.fixture.criruntime",
                    NodeProcess.fixture("cri-runtime-v2").toString());
            assertEquals(0, c.exit(), c.err() + "\n" + node.log());
        });
        System.out.println("RuntimeService bundle 1.0.0 -> 2.0.0 under load: " + load);
        load.assertClean();
        assertTrue(load.servedBy.containsKey("1.0.0") && load.servedBy.containsKey("2.0.0"),
                "both generations served calls: " + load);
        assertEquals("2.0.0", version(socket));
    }

    @Test
    @Order(2)
    void updatingTheCriServerBundleItselfUnderLoadRefusesNothingAndFailsNoCall() throws Exception {
        int adoptionsBefore = count(node.log(), "(lent by the host)");
        Load load = underLoad(LiveUpgradeTest::version, this::updateCriServer);
        System.out.println("CRI server bundle updated to a rebuilt copy under load: " + load);
        load.assertClean();
        // at least once: the update starts the new bundle, and the refresh that follows restarts it
        assertTrue(count(node.log(), "(lent by the host)") > adoptionsBefore,
                "the new CRI server adopted the host's socket:\n" + node.log());
        assertEquals("2.0.0", version(socket));
    }

    @Test
    @Order(3)
    void theEnginesRuntimeServiceUnderLoadThroughItsOwnUpdateAndACriServerUpdate() throws Exception {
        Assumptions.assumeTrue(realRuntime, REAL_RUNTIME + " is not in the distribution or did not serve ListPodSandbox");
        assertEquals(0, node.cli("bundle", "uninstall", "io.atrium.fixture.criruntime").exit());
        NodeProcess.Cli start = node.cli("bundle", "start", REAL_RUNTIME);
        assertEquals(0, start.exit(), start.err());
        assertTrue(answersListPods(30), "the engine's RuntimeService came back:\n" + node.log());

        Path rebuilt = NodeProcess.TEST_SIGNER.signed(shipped("atrium-engine-runtime-"));
        Load runtimeUpdate = underLoad(LiveUpgradeTest::listPods, () -> {
            NodeProcess.Cli c = node.cli("bundle", "update", REAL_RUNTIME, rebuilt.toString());
            assertEquals(0, c.exit(), c.err() + "\n" + node.log());
        });
        System.out.println("engine RuntimeService bundle updated under ListPodSandbox load: " + runtimeUpdate);
        runtimeUpdate.assertClean();

        Load serverUpdate = underLoad(LiveUpgradeTest::listPods, this::updateCriServer);
        System.out.println("CRI server bundle updated under ListPodSandbox load: " + serverUpdate);
        serverUpdate.assertClean();
    }

    /**
     * A sandboxer update under the same CRI load: a pod with a running container is asked for its
     * status (through the engine and the runc sandboxer's gate) 50 times a second while the runc
     * sandboxer bundle is updated; the container keeps its process.
     */
    @Test
    @Order(4)
    void aSandboxerUpdateUnderCriLoadRefusesNothingFailsNoCallAndKeepsTheContainer() throws Exception {
        Assumptions.assumeTrue(realRuntime, REAL_RUNTIME + " is not in the distribution");
        Assumptions.assumeTrue(java.nio.file.Files.isExecutable(io.atrium.engine.images.testing.TestRegistry.BINARY),
                "Debian's docker-registry is not installed");
        Path regDir = java.nio.file.Files.createDirectories(node.dir.resolve("registry"));
        try (var registry = new io.atrium.engine.images.testing.TestRegistry(regDir);
                CriClient cri = CriClient.connect(socket)) {
            registry.start();
            var image = io.atrium.engine.images.testing.ImageWriter.image("amd64",
                    Map.of("Cmd", java.util.List.of("sh")), java.util.List.of(io.atrium.engine.images.testing.ImageWriter.busyboxLayer()));
            registry.pushVia(image, "live/busybox", "1");
            String ref = registry.host() + "/live/busybox:1";
            var rt = cri.runtime().withDeadlineAfter(120, TimeUnit.SECONDS);
            cri.image().pullImage(io.atrium.cri.v1.PullImageRequest.newBuilder()
                    .setImage(io.atrium.cri.v1.ImageSpec.newBuilder().setImage(ref)).build());
            var podConfig = io.atrium.cri.v1.PodSandboxConfig.newBuilder()
                    .setMetadata(io.atrium.cri.v1.PodSandboxMetadata.newBuilder().setName("live").setNamespace("it").setUid("uid-live"))
                    .setHostname("live").setLogDirectory(node.dir.resolve("logs").toString()).build();
            String podId = rt.runPodSandbox(io.atrium.cri.v1.RunPodSandboxRequest.newBuilder().setConfig(podConfig).build())
                    .getPodSandboxId();
            String ctr = rt.createContainer(io.atrium.cri.v1.CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                    .setSandboxConfig(podConfig).setConfig(io.atrium.cri.v1.ContainerConfig.newBuilder()
                            .setMetadata(io.atrium.cri.v1.ContainerMetadata.newBuilder().setName("sleeper"))
                            .setImage(io.atrium.cri.v1.ImageSpec.newBuilder().setImage(ref))
                            .addAllCommand(java.util.List.of("/bin/sh", "-c", "exec sleep 1000")).setLogPath("sleeper.log"))
                    .build()).getContainerId();
            rt.startContainer(io.atrium.cri.v1.StartContainerRequest.newBuilder().setContainerId(ctr).build());
            var before = rt.containerStatus(io.atrium.cri.v1.ContainerStatusRequest.newBuilder().setContainerId(ctr).build()).getStatus();

            Path runcJar;
            try (var jars = java.nio.file.Files.list(node.home.resolve("bundles"))) {
                runcJar = jars.filter(j -> j.getFileName().toString().startsWith("atrium-sandboxer-runc-")).findFirst().orElseThrow();
            }
            Load load = underLoad((client, tag) -> "pod=" + client.runtime().withDeadlineAfter(30, TimeUnit.SECONDS)
                    .podSandboxStatus(io.atrium.cri.v1.PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                    .getStatus().getState(), () -> {
                        NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.sandboxer.runc", runcJar.toString());
                        assertEquals(0, c.exit(), c.err() + "\n" + node.log());
                    });
            System.out.println("runc sandboxer bundle updated under PodSandboxStatus load: " + load);
            load.assertClean();
            var after = rt.containerStatus(io.atrium.cri.v1.ContainerStatusRequest.newBuilder().setContainerId(ctr).build()).getStatus();
            assertEquals(io.atrium.cri.v1.ContainerState.CONTAINER_RUNNING, after.getState());
            assertEquals(before.getStartedAt(), after.getStartedAt(), "the container kept its process");
            rt.stopPodSandbox(io.atrium.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            rt.removePodSandbox(io.atrium.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        }
    }

    /** The jar the node's distribution ships for a core bundle (same version as the running one). */
    private Path shipped(String prefix) throws IOException {
        try (var jars = java.nio.file.Files.list(node.home.resolve("bundles"))) {
            return jars.filter(j -> j.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    /** Updates the CRI server bundle to a rebuilt copy of itself, signed by the test signer. */
    private void updateCriServer() throws Exception {
        Path rebuilt = NodeProcess.TEST_SIGNER.signed(shipped("atrium-cri-server-"));
        NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.engine.cri", rebuilt.toString());
        assertEquals(0, c.exit(), c.err() + "\n" + node.log());
    }

    /** Version, echoing the tag; answers which bundle version served it. */
    private static String version(CriClient cri, String tag) {
        VersionResponse r = cri.runtime().withDeadlineAfter(30, TimeUnit.SECONDS)
                .version(VersionRequest.newBuilder().setVersion(tag).build());
        if (!r.getVersion().equals(tag)) {
            throw new IllegalStateException("answer to another call: " + r.getVersion());
        }
        return r.getRuntimeVersion();
    }

    private boolean answersListPods(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try (CriClient cri = CriClient.connect(socket)) {
                listPods(cri, "ready?");
                return true;
            } catch (StatusRuntimeException e) {
                Thread.sleep(200);
            }
        }
        return false;
    }

    private static String listPods(CriClient cri, String tag) {
        return "pods=" + cri.runtime().withDeadlineAfter(30, TimeUnit.SECONDS)
                .listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount();
    }

    /** One CRI call; returns a label of who or what answered. */
    interface CriCall {
        String call(CriClient cri, String tag);
    }

    interface Action {
        void run() throws Exception;
    }

    /** Runs the load for {@link #LOAD}, with {@code update} started {@link #UPDATE_AFTER} into it. */
    private Load underLoad(CriCall call, Action update) throws Exception {
        Load load = new Load(call);
        ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
        ExecutorService callers = Executors.newCachedThreadPool();
        try (CriClient shared = CriClient.connect(socket)) {
            AtomicLong tick = new AtomicLong();
            long periodMicros = 1_000_000L / CALLS_PER_SECOND;
            ticks.scheduleAtFixedRate(() -> {
                long n = tick.incrementAndGet();
                callers.execute(() -> load.call(n % 5 == 0 ? null : shared, n));
            }, 0, periodMicros, TimeUnit.MICROSECONDS);
            Thread.sleep(UPDATE_AFTER.toMillis());
            long start = System.nanoTime();
            update.run();
            load.updateMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Thread.sleep(Math.max(0, LOAD.minus(UPDATE_AFTER).toMillis() - load.updateMillis));
            ticks.shutdown();
            ticks.awaitTermination(5, TimeUnit.SECONDS);
            callers.shutdown();
            assertTrue(callers.awaitTermination(60, TimeUnit.SECONDS), "calls still running: " + load);
        } finally {
            ticks.shutdownNow();
            callers.shutdownNow();
        }
        return load;
    }

    /** What the client saw. */
    private final class Load {
        final AtomicLong calls = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong freshConnections = new AtomicLong();
        final AtomicLong rawConnects = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final LongAccumulator slowestMillis = new LongAccumulator(Long::max, 0);
        final Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
        final Queue<String> problems = new ConcurrentLinkedQueue<>();
        final CriCall criCall;
        volatile long updateMillis;

        Load(CriCall criCall) {
            this.criCall = criCall;
        }

        /** One call: on the shared channel, or ({@code client == null}) on a new connection. */
        void call(CriClient client, long n) {
            calls.incrementAndGet();
            long start = System.nanoTime();
            try {
                String by;
                if (client == null) {
                    freshConnections.incrementAndGet();
                    rawConnect();
                    try (CriClient fresh = CriClient.connect(socket)) {
                        by = criCall.call(fresh, "fresh-" + n);
                    }
                } else {
                    by = criCall.call(client, "shared-" + n);
                }
                ok.incrementAndGet();
                servedBy.computeIfAbsent(by, v -> new AtomicLong()).incrementAndGet();
            } catch (StatusRuntimeException e) {
                if (isRefused(e)) {
                    refused.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                problems.add("call " + n + ": " + e.getStatus() + (e.getCause() != null ? " cause " + e.getCause() : ""));
            } catch (IOException e) {
                refused.incrementAndGet();
                problems.add("call " + n + ": raw connect: " + e);
            } catch (Exception e) {
                failed.incrementAndGet();
                problems.add("call " + n + ": " + e);
            } finally {
                slowestMillis.accumulate(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        }

        /** A plain connect, as a client that is not gRPC sees the socket. */
        private void rawConnect() throws IOException {
            try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                raw.connect(UnixDomainSocketAddress.of(socket));
                rawConnects.incrementAndGet();
            }
        }

        void assertClean() {
            assertEquals(0, refused.get(), "refused connections: " + this);
            assertEquals(0, failed.get(), "failed calls: " + this);
            long expected = CALLS_PER_SECOND * LOAD.toSeconds();
            assertTrue(calls.get() >= expected * 9 / 10, "the client kept calling at 50/s: " + this);
            assertEquals(calls.get(), ok.get(), this.toString());
            assertTrue(freshConnections.get() >= expected / 5 * 9 / 10, this.toString());
        }

        @Override
        public String toString() {
            return "calls=" + calls + " ok=" + ok + " refused=" + refused + " failed=" + failed + " freshConnections="
                    + freshConnections + " rawConnects=" + rawConnects + " servedBy=" + servedBy + " slowestMs="
                    + slowestMillis.get() + " updateMs=" + updateMillis
                    + (problems.isEmpty() ? "" : " first problems=" + problems.stream().limit(5).toList());
        }
    }

    private static boolean isRefused(StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
            return false;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof ConnectException || m.contains("Connection refused") || m.contains("No such file")) {
                return true;
            }
        }
        return false;
    }

    private void awaitVersion(String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = version(socket);
                if (expected.equals(last)) {
                    return;
                }
            } catch (StatusRuntimeException e) {
                last = e.getStatus().toString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("RuntimeService " + expected + " not served; last answer " + last + "\n" + node.log());
    }

    private static String version(Path socket) throws InterruptedException {
        try (CriClient cri = CriClient.connect(socket)) {
            return version(cri, "v1");
        }
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
