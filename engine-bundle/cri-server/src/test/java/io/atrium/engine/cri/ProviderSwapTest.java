package io.atrium.engine.cri;

import static io.atrium.engine.cri.CriServerTest.props;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.atrium.engine.cri.CriServerTest.FixedVersion;
import io.atrium.engine.cri.client.CriClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls to a gRPC service whose provider is swapped wait for the next provider (bounded) instead of
 * failing, over a real socket; services never served or uninstalled still fail at once.
 */
class ProviderSwapTest {
    @TempDir Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void aCallDuringTheSwapWaitsAndIsServedByTheNextProviderWithItsRequestIntact() throws Exception {
        CriServer server = start(Duration.ofSeconds(20));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 1));
        CriClient cri = client(server);
        assertEquals("first", version(cri, "v1").getRuntimeName());

        server.removeService(first, props("runtime", 0, 1));
        CompletableFuture<VersionResponse> waiting = CompletableFuture.supplyAsync(() -> version(cri, "asked-during-swap"));
        awaitWaiting(server, 1);
        assertFalse(waiting.isDone(), "held, not answered, while no provider is bound");

        server.addService(new FixedVersion("second"), props("runtime", 0, 2));
        VersionResponse answer = waiting.get(10, TimeUnit.SECONDS);
        assertEquals("second", answer.getRuntimeName());
        assertEquals("asked-during-swap", answer.getVersion(), "the queued request reached the new provider");
        assertEquals(0, server.waitingCalls());
    }

    @Test
    void manyCallsHeldAtOnceAreAllHandedOver() throws Exception {
        CriServer server = start(Duration.ofSeconds(20));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 1));
        CriClient cri = client(server);
        version(cri, "v1");
        server.removeService(first, props("runtime", 0, 1));

        List<CompletableFuture<VersionResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String tag = "call-" + i;
            calls.add(CompletableFuture.supplyAsync(() -> version(cri, tag)));
        }
        awaitWaiting(server, 20);
        server.addService(new FixedVersion("second"), props("runtime", 0, 2));
        for (int i = 0; i < calls.size(); i++) {
            assertEquals("call-" + i, calls.get(i).get(10, TimeUnit.SECONDS).getVersion());
        }
    }

    @Test
    void whenNoProviderComesBackInTimeTheCallIsUnavailable() throws Exception {
        CriServer server = start(Duration.ofMillis(300));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 1));
        CriClient cri = client(server);
        version(cri, "v1");
        server.removeService(first, props("runtime", 0, 1));

        long start = System.nanoTime();
        StatusRuntimeException e = failure(() -> version(cri, "v1"));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("runtime.v1.RuntimeService came back within 300 ms"),
                e.getStatus().getDescription());
        assertTrue(waitedMs >= 250, "waited for the bound: " + waitedMs + " ms");
        assertEquals(0, server.waitingCalls());
    }

    @Test
    void uninstallingTheProvidingBundleReleasesWaitersWithUnimplemented() throws Exception {
        CriServer server = start(Duration.ofSeconds(20));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 7)); // service.bundleid 107
        CriClient cri = client(server);
        version(cri, "v1");
        server.removeService(first, props("runtime", 0, 7));
        CompletableFuture<VersionResponse> waiting = CompletableFuture.supplyAsync(() -> version(cri, "v1"));
        awaitWaiting(server, 1);

        server.bundleUninstalled(999); // somebody else's bundle: still waiting
        assertFalse(waiting.isDone());
        server.bundleUninstalled(107);
        ExecutionException held = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.get(5, TimeUnit.SECONDS));
        StatusRuntimeException e = (StatusRuntimeException) held.getCause();
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("was uninstalled"), e.getStatus().getDescription());

        long start = System.nanoTime();
        assertEquals(Status.Code.UNIMPLEMENTED, failure(() -> version(cri, "v1")).getStatus().getCode());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "no waiting for an uninstalled service");
    }

    @Test
    void aClientGivingUpWhileHeldLeavesNothingBehind() throws Exception {
        CriServer server = start(Duration.ofSeconds(20));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 1));
        CriClient cri = client(server);
        version(cri, "v1");
        server.removeService(first, props("runtime", 0, 1));

        StatusRuntimeException e = failure(() -> cri.runtime().withDeadlineAfter(200, TimeUnit.MILLISECONDS)
                .version(VersionRequest.newBuilder().setVersion("v1").build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        awaitWaiting(server, 0);

        server.addService(new FixedVersion("second"), props("runtime", 0, 2));
        assertEquals("second", version(cri, "v1").getRuntimeName());
    }

    private CriServer start(Duration swapWait) throws Exception {
        CriServer server = new CriServer(CriListener.bind(dir.resolve("atrium.sock")), swapWait, Duration.ofSeconds(5), null);
        open.add(server::deactivate);
        server.start();
        return server;
    }

    private CriClient client(CriServer server) {
        CriClient client = CriClient.connect(server.socket());
        open.add(client);
        return client;
    }

    private static VersionResponse version(CriClient cri, String version) {
        return cri.runtime().withDeadlineAfter(30, TimeUnit.SECONDS)
                .version(VersionRequest.newBuilder().setVersion(version).build());
    }

    private static StatusRuntimeException failure(org.junit.jupiter.api.function.Executable call) {
        return org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, call);
    }

    private static void awaitWaiting(CriServer server, int count) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.waitingCalls() != count) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(server.waitingCalls() + " calls held, expected " + count);
            }
            Thread.sleep(10);
        }
    }
}
