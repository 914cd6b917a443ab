package io.atrium.engine.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ImageFsInfoRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc;
import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.atrium.engine.cri.client.CriClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Constants;

/** CriServer on a real unix socket, called through CriClient as kubelet would. */
class CriServerTest {
    @TempDir Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void servesVersionFromABoundService() throws Exception {
        CriServer server = start(dir.resolve("atrium.sock"));
        server.addService(new FixedVersion("atrium"), props("runtime", 0, 1));

        assertEquals("atrium", version(server.socket()).getRuntimeName());
        assertEquals(List.of("runtime.v1.RuntimeService"), server.served());
    }

    @Test
    void aReplacementIsServedOnTheSameSocket() throws Exception {
        CriServer server = start(dir.resolve("atrium.sock"));
        FixedVersion first = new FixedVersion("first");
        server.addService(first, props("runtime", 0, 1));
        CriClient cri = client(server.socket());
        assertEquals("first", version(cri).getRuntimeName());

        server.removeService(first, props("runtime", 0, 1));
        server.addService(new FixedVersion("second"), props("runtime", 0, 2));
        assertEquals("second", version(cri).getRuntimeName(), "same channel, no reconnect");
    }

    @Test
    void methodOfAnUnservedServiceIsUnimplemented() throws Exception {
        CriServer server = start(dir.resolve("atrium.sock"));
        server.addService(new FixedVersion("atrium"), props("runtime", 0, 1));

        CriClient cri = client(server.socket());
        version(cri); // connected, so the timing below is the server's answer alone
        long start = System.nanoTime();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> cri.image().imageFsInfo(ImageFsInfoRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "a service never served is not waited for");
    }

    @Test
    void highestRankingWinsAndTheNextTakesOverWhenItLeaves() throws Exception {
        CriServer server = start(dir.resolve("atrium.sock"));
        FixedVersion low = new FixedVersion("low");
        FixedVersion high = new FixedVersion("high");
        server.addService(low, props("runtime", 0, 1));
        server.addService(high, props("runtime", 10, 2));
        CriClient cri = client(server.socket());
        assertEquals("high", version(cri).getRuntimeName());

        server.removeService(high, props("runtime", 10, 2));
        assertEquals("low", version(cri).getRuntimeName());
    }

    @Test
    void socketIsMode0660() throws Exception {
        CriServer server = start(dir.resolve("atrium.sock"));

        PosixFileAttributes attributes = Files.readAttributes(server.socket(), PosixFileAttributes.class);
        assertTrue(attributes.isOther(), "a socket, not a regular file");
        assertEquals("rw-rw----", PosixFilePermissions.toString(attributes.permissions()));
    }

    @Test
    void staleSocketIsReplaced() throws Exception {
        Path socket = dir.resolve("atrium.sock");
        // closing a bound unix server channel leaves its file behind, just like a crashed runtime
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));

        CriServer server = start(socket);
        server.addService(new FixedVersion("fresh"), props("runtime", 0, 1));
        assertEquals("fresh", version(socket).getRuntimeName());
    }

    @Test
    void liveSocketOfAnotherServerIsNotTakenOver() throws Exception {
        Path socket = dir.resolve("atrium.sock");
        CriServer first = start(socket);
        first.addService(new FixedVersion("first"), props("runtime", 0, 1));

        IOException e = assertThrows(IOException.class, () -> new CriServer(socket));
        assertTrue(e.getMessage().contains("listening"), e.getMessage());
        assertEquals("first", version(socket).getRuntimeName());
    }

    @Test
    void regularFileAtTheSocketPathIsRefused() throws Exception {
        Path socket = Files.writeString(dir.resolve("atrium.sock"), "not a socket");

        assertThrows(IOException.class, () -> new CriServer(socket));
        assertEquals("not a socket", Files.readString(socket));
    }

    @Test
    void deactivationRemovesTheSocket() throws Exception {
        CriServer server = new CriServer(dir.resolve("run/atrium/atrium.sock"));
        server.start();
        assertTrue(Files.exists(server.socket()), "parent directories are created");

        server.deactivate();
        assertFalse(Files.exists(server.socket()));
    }

    @Test
    void socketPathComesFromFrameworkProperties() {
        assertEquals(Path.of("/x/cri.sock"),
                CriSocket.resolve(Map.of("atrium.cri.socket", "/x/cri.sock", "atrium.state", "/s")::get));
        assertEquals(Path.of("/s/atrium.sock"), CriSocket.resolve(Map.of("atrium.state", "/s")::get));
        assertEquals(Path.of("/run/atrium/atrium.sock"), CriSocket.resolve(Map.<String, String>of()::get));
    }

    private CriServer start(Path socket) throws IOException {
        CriServer server = new CriServer(socket);
        open.add(server::deactivate);
        server.start();
        return server;
    }

    private CriClient client(Path socket) {
        CriClient client = CriClient.connect(socket);
        open.add(client);
        return client;
    }

    private VersionResponse version(Path socket) {
        return version(client(socket));
    }

    private static VersionResponse version(CriClient cri) {
        return cri.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
    }

    static Map<String, Object> props(String criService, int ranking, long id) {
        return Map.of(CriServer.SERVICE_PROPERTY, criService, Constants.SERVICE_RANKING, ranking, Constants.SERVICE_ID, id,
                Constants.SERVICE_BUNDLEID, 100 + id);
    }

    /** The smallest RuntimeService: answers Version with a fixed runtime name. */
    static class FixedVersion extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        private final String name;

        FixedVersion(String name) {
            this.name = name;
        }

        @Override
        public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
            // the requested version is echoed so tests see the request reached the service intact
            response.onNext(VersionResponse.newBuilder().setVersion(request.getVersion()).setRuntimeName(name)
                    .setRuntimeApiVersion("v1").build());
            response.onCompleted();
        }
    }
}
