package io.atrium.engine.cri;

import static io.atrium.engine.cri.CriServerTest.props;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.atrium.engine.cri.CriServerTest.FixedVersion;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.host.spi.ListeningSocket;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server on a socket it does not own, as in a node where the host lends it: stopping the server
 * leaves the socket listening, clients connecting meanwhile queue instead of being refused, the next
 * server serves them, and calls in flight drain within a bound.
 */
class SocketAdoptionTest {
    @TempDir Path dir;
    private Path path;
    private ServerSocketChannel hostSocket;
    private ListeningSocket lent;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void hostBindsTheSocket() throws Exception {
        path = dir.resolve("atrium.sock");
        hostSocket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        hostSocket.bind(UnixDomainSocketAddress.of(path), 64);
        hostSocket.configureBlocking(false);
        lent = new ListeningSocket() {
            @Override
            public Path path() {
                return path;
            }

            @Override
            public ServerSocketChannel channel() {
                return hostSocket;
            }
        };
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        hostSocket.close();
    }

    @Test
    void clientsConnectingBetweenTwoServersQueueAndAreServedByTheNext() throws Exception {
        CriServer first = server(Duration.ofSeconds(5));
        first.addService(new FixedVersion("first"), props("runtime", 0, 1));
        assertEquals("first", version(client(), "v1").getRuntimeName());

        first.deactivate();
        assertTrue(hostSocket.isOpen(), "the lent socket is not closed by the server");
        assertTrue(Files.exists(path), "nor is its file removed");
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            assertTrue(raw.connect(UnixDomainSocketAddress.of(path)), "a connect between servers is queued, not refused");
        }
        CriClient fresh = client();
        CompletableFuture<VersionResponse> queued = CompletableFuture.supplyAsync(() -> version(fresh, "queued"));
        Thread.sleep(500);
        assertFalse(queued.isDone(), "nobody accepts yet, and the client did not fail either: " + queued);

        CriServer second = server(Duration.ofSeconds(5));
        second.addService(new FixedVersion("second"), props("runtime", 0, 2));
        VersionResponse answer = queued.get(10, TimeUnit.SECONDS);
        assertEquals("second", answer.getRuntimeName());
        assertEquals("queued", answer.getVersion());
        assertEquals("second", version(client(), "v1").getRuntimeName());
    }

    @Test
    void aCallInFlightFinishesWhileTheServerStops() throws Exception {
        CriServer server = server(Duration.ofSeconds(10));
        CountDownLatch entered = new CountDownLatch(1);
        server.addService(new FixedVersion("slow") {
            @Override
            public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
                entered.countDown();
                sleep(800);
                super.version(request, response);
            }
        }, props("runtime", 0, 1));
        CriClient cri = client();
        CompletableFuture<VersionResponse> inFlight = CompletableFuture.supplyAsync(() -> version(cri, "in-flight"));
        assertTrue(entered.await(10, TimeUnit.SECONDS));

        long start = System.nanoTime();
        server.deactivate();
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(500), "deactivation waited for the call");
        assertEquals("in-flight", inFlight.get(5, TimeUnit.SECONDS).getVersion());
    }

    @Test
    void callsOutlivingTheDrainBoundAreCancelled() throws Exception {
        CriServer server = server(Duration.ofMillis(300));
        CountDownLatch entered = new CountDownLatch(1);
        server.addService(new FixedVersion("stuck") {
            @Override
            public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
                entered.countDown(); // and never answers
            }
        }, props("runtime", 0, 1));
        CriClient cri = client();
        CompletableFuture<VersionResponse> stuck = CompletableFuture.supplyAsync(() -> version(cri, "stuck"));
        assertTrue(entered.await(10, TimeUnit.SECONDS));

        long start = System.nanoTime();
        server.deactivate();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs >= 250 && tookMs < 5000, "bounded drain took " + tookMs + " ms");
        ExecutionException e = assertThrows(ExecutionException.class, () -> stuck.get(5, TimeUnit.SECONDS));
        Status.Code code = ((StatusRuntimeException) e.getCause()).getStatus().getCode();
        assertTrue(code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED, code.toString());
        assertTrue(hostSocket.isOpen());
    }

    @Test
    void aClosedLentSocketIsRefusedWithAClearError() throws Exception {
        hostSocket.close();
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> CriListener.lent(lent));
        assertTrue(e.getMessage().contains("closed CRI socket"), e.getMessage());
    }

    private CriServer server(Duration drain) throws Exception {
        CriServer server = new CriServer(CriListener.lent(lent), Duration.ofSeconds(5), drain, null);
        open.add(() -> {
            try {
                server.deactivate();
            } catch (IllegalStateException alreadyStopped) {
                // deactivated by the test
            }
        });
        server.start();
        return server;
    }

    private CriClient client() {
        CriClient client = CriClient.connect(path);
        open.add(client);
        return client;
    }

    private static VersionResponse version(CriClient cri, String version) {
        return cri.runtime().withDeadlineAfter(30, TimeUnit.SECONDS)
                .version(VersionRequest.newBuilder().setVersion(version).build());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
