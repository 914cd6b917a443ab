package io.atrium.engine.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.grpc.testing.FelixHarness;
import io.atrium.host.spi.ListeningSocket;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;

/**
 * The packaged bundle under Felix + SCR: the CriServer component binds the socket named by the
 * framework's atrium.state (or adopts the socket a ListeningSocket service lends), and a separately
 * installed bundle's BindableService is served, then withdrawn, then served again, while a client
 * outside the framework stays connected.
 */
class CriServerIT {
    @TempDir Path dir;
    FelixHarness felix;
    Path socket;

    @BeforeEach
    void start() throws Exception {
        felix = new FelixHarness(dir, Map.of("atrium.state", dir.resolve("run").toString(),
                // as the node's host does: the SPI comes from the class path, through the system bundle
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "io.atrium.host.spi;version=\"1.1.0\"",
                "atrium.cri.swap.wait.ms", "500"));
        socket = dir.resolve("run/atrium.sock");
    }

    private void startBundles() throws Exception {
        List<Path> jars = new ArrayList<>(FelixHarness.bundlesIn(Path.of(System.getProperty("felix.bundles"))));
        jars.add(Path.of(System.getProperty("cri.bundle")));
        felix.installAndStart(jars);
        await(() -> Files.exists(socket), "CriServer component bound " + socket);
    }

    @AfterEach
    void stop() throws Exception {
        felix.close();
    }

    @Test
    void servesAndWithdrawsAWhiteboardServiceOnTheSameSocket() throws Exception {
        startBundles();
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        Path probeJar = felix.buildBundle("io.atrium.engine.cri.probe", Path.of("target/test-classes"),
                "io.atrium.engine.cri.probe",
                Map.of(Constants.BUNDLE_ACTIVATOR, "io.atrium.engine.cri.probe.VersionProbe", Constants.BUNDLE_VERSION, "1.2.3"));

        try (CriClient cri = CriClient.connect(socket)) {
            assertEquals(Status.Code.UNIMPLEMENTED, failure(cri).getStatus().getCode());

            Bundle probe = felix.installAndStart(List.of(probeJar)).get(0);
            VersionResponse answer = version(cri);
            assertEquals("probe", answer.getRuntimeName());
            assertEquals("1.2.3", answer.getRuntimeVersion());

            probe.stop();
            StatusRuntimeException waited = failure(cri);
            assertEquals(Status.Code.UNAVAILABLE, waited.getStatus().getCode(), "waited 500 ms for a provider: " + waited);

            probe.start();
            assertEquals("probe", version(cri).getRuntimeName());

            probe.uninstall();
            long start = System.nanoTime();
            assertEquals(Status.Code.UNIMPLEMENTED, failure(cri).getStatus().getCode());
            assertTrue(System.nanoTime() - start < 400_000_000L, "an uninstalled service is not waited for");
        }
    }

    @Test
    void adoptsTheSocketTheHostLendsAndLeavesItListeningWhenStopped() throws Exception {
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel hostSocket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            hostSocket.bind(UnixDomainSocketAddress.of(socket));
            hostSocket.configureBlocking(false);
            felix.context().registerService(ListeningSocket.class, new ListeningSocket() {
                @Override
                public Path path() {
                    return socket;
                }

                @Override
                public ServerSocketChannel channel() {
                    return hostSocket;
                }
            }, new Hashtable<>(Map.of(ListeningSocket.NAME_PROPERTY, ListeningSocket.CRI)));
            startBundles();
            Bundle probe = felix.installAndStart(List.of(felix.buildBundle("io.atrium.engine.cri.probe",
                    Path.of("target/test-classes"), "io.atrium.engine.cri.probe",
                    Map.of(Constants.BUNDLE_ACTIVATOR, "io.atrium.engine.cri.probe.VersionProbe")))).get(0);

            try (CriClient cri = CriClient.connect(socket)) {
                assertEquals("probe", version(cri).getRuntimeName(), "served on the lent socket");
                Bundle server = criBundle();
                server.stop();
                assertTrue(hostSocket.isOpen() && Files.exists(socket), "the lent socket outlives the bundle");
                server.start();
                assertEquals("probe", version(cri).getRuntimeName(), "the restarted bundle adopted it again");
            }
            probe.uninstall();
        }
    }

    @Test
    void stoppingTheBundleRemovesTheSocketItBoundItself() throws Exception {
        startBundles();
        criBundle().stop();
        assertTrue(Files.notExists(socket));
    }

    private Bundle criBundle() {
        return List.of(felix.context().getBundles()).stream()
                .filter(b -> "io.atrium.engine.cri".equals(b.getSymbolicName())).findFirst().orElseThrow();
    }

    private static VersionResponse version(CriClient cri) {
        return cri.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
    }

    private static StatusRuntimeException failure(CriClient cri) {
        return assertThrows(StatusRuntimeException.class, () -> version(cri));
    }

    private static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (!condition.get()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(50);
        }
    }
}
