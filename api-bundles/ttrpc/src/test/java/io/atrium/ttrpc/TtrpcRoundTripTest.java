package io.atrium.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import com.google.protobuf.StringValue;
import io.atrium.containerd.task.v2.KillRequest;
import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.containerd.task.v2.WaitRequest;
import io.atrium.containerd.task.v2.WaitResponse;
import io.atrium.containerd.types.task.Status;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.ttrpc.proto.Request;
import io.atrium.ttrpc.proto.Response;
import io.atrium.ttrpc.task.TaskClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client and server of this package talking over real Unix sockets and pipes. */
class TtrpcRoundTripTest {
    private static final String ECHO = "atrium.test.Echo";
    private static final long WAIT_SECONDS = 30; // generous upper bound so a hang fails instead of blocking the build

    @TempDir
    Path dir;

    private final CountDownLatch killed = new CountDownLatch(1);
    private final CountDownLatch slowInterrupted = new CountDownLatch(1);
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final AtomicReference<CallContext> lastContext = new AtomicReference<>();
    private TtrpcServer server;
    private Path socket;

    @BeforeEach
    void startServer() throws IOException {
        server = TtrpcServer.builder()
                .register(ECHO, "Reverse", StringValue.parser(), (request, context) -> {
                    lastContext.set(context);
                    return StringValue.of(new StringBuilder(request.getValue()).reverse().toString());
                })
                .register(ECHO, "Slow", Empty.parser(), (request, context) -> {
                    slowStarted.countDown();
                    try {
                        Thread.sleep(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
                    } catch (InterruptedException e) {
                        slowInterrupted.countDown();
                        throw e;
                    }
                    return Empty.getDefaultInstance();
                })
                .register(ECHO, "Fail", StringValue.parser(), (request, context) -> {
                    switch (request.getValue()) {
                        case "ttrpc" -> throw new TtrpcException(StatusCode.NOT_FOUND, "no such thing");
                        case "sandbox" -> throw new SandboxException(SandboxException.Reason.ALREADY_EXISTS, "taken");
                        default -> throw new IllegalStateException("boom");
                    }
                })
                .register(TaskClient.SERVICE, "State", StateRequest.parser(), (request, context) ->
                        StateResponse.newBuilder().setId(request.getId()).setStatus(Status.RUNNING).setPid(42).build())
                .register(TaskClient.SERVICE, "Kill", KillRequest.parser(), (request, context) -> {
                    killed.countDown();
                    return Empty.getDefaultInstance();
                })
                .register(TaskClient.SERVICE, "Wait", WaitRequest.parser(), (request, context) -> {
                    killed.await();
                    return WaitResponse.newBuilder().setExitStatus(137).build();
                })
                .build();
        socket = dir.resolve("ttrpc.sock");
        server.listen(socket);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void unaryCallCarriesPayloadTimeoutAndMetadata() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            StringValue answer = client.call(ECHO, "Reverse", StringValue.of("atrium"), StringValue.parser(),
                    CallOptions.timeout(Duration.ofSeconds(WAIT_SECONDS)).withMetadata("k", "a").withMetadata("k", "b"));
            assertEquals("muirta", answer.getValue());
            CallContext context = lastContext.get();
            assertEquals(ECHO, context.service());
            assertEquals("Reverse", context.method());
            assertEquals(Duration.ofSeconds(WAIT_SECONDS), context.timeout().orElseThrow());
            assertEquals(Map.of("k", List.of("a", "b")), context.metadata());
        }
    }

    @Test
    void concurrentCallsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(16);
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String value = "call-" + i;
                results.add(callers.submit(() -> client.call(ECHO, "Reverse", StringValue.of(value),
                        StringValue.parser(), CallOptions.NONE).getValue()
                        .equals(new StringBuilder(value).reverse().toString())));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get(WAIT_SECONDS, TimeUnit.SECONDS));
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void blockingWaitDoesNotHoldUpOtherCalls() throws Exception {
        try (TaskClient tasks = TaskClient.connect(socket, Duration.ofSeconds(WAIT_SECONDS))) {
            CompletableFuture<WaitResponse> exit = tasks.waitAsync(WaitRequest.newBuilder().setId("c1").build());
            for (int i = 0; i < 20; i++) {
                StateResponse state = tasks.state(StateRequest.newBuilder().setId("c1").build());
                assertEquals(Status.RUNNING, state.getStatus());
            }
            assertFalse(exit.isDone(), "Wait answered before the process was killed");
            tasks.kill(KillRequest.newBuilder().setId("c1").setSignal(9).build());
            assertEquals(137, exit.get(WAIT_SECONDS, TimeUnit.SECONDS).getExitStatus());
        }
    }

    @Test
    void deadlineExpiresWithDeadlineExceededAndInterruptsTheHandler() throws Exception {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            TtrpcException e = assertThrows(TtrpcException.class, () -> client.call(ECHO, "Slow",
                    Empty.getDefaultInstance(), Empty.parser(), CallOptions.timeout(Duration.ofMillis(200))));
            assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
            assertEquals(SandboxException.Reason.DEADLINE_EXCEEDED, e.reason());
            assertTrue(slowInterrupted.await(WAIT_SECONDS, TimeUnit.SECONDS), "server interrupted the handler");
            // the connection survives an expired call
            assertEquals("ko", client.call(ECHO, "Reverse", StringValue.of("ok"), StringValue.parser(),
                    CallOptions.NONE).getValue());
        }
    }

    @Test
    void unknownServiceAndMethodAreUnimplemented() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            TtrpcException service = assertThrows(TtrpcException.class, () -> client.call("no.such.Service", "X",
                    Empty.getDefaultInstance(), Empty.parser(), CallOptions.NONE));
            assertEquals(StatusCode.UNIMPLEMENTED, service.code());
            assertEquals("service no.such.Service", service.statusMessage());

            TtrpcException method = assertThrows(TtrpcException.class, () -> client.call(ECHO, "Nope",
                    Empty.getDefaultInstance(), Empty.parser(), CallOptions.NONE));
            assertEquals(StatusCode.UNIMPLEMENTED, method.code());
            assertEquals("method Nope", method.statusMessage());
            assertTrue(method.getMessage().startsWith(ECHO + "/Nope: UNIMPLEMENTED"), method.getMessage());
        }
    }

    @Test
    void handlerFailuresBecomeStatusCodes() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            assertEquals(StatusCode.NOT_FOUND, failure(client, "ttrpc").code());
            TtrpcException sandbox = failure(client, "sandbox");
            assertEquals(StatusCode.ALREADY_EXISTS, sandbox.code());
            assertEquals(SandboxException.Reason.ALREADY_EXISTS, sandbox.toSandboxException("create").reason());
            TtrpcException other = failure(client, "other");
            assertEquals(StatusCode.UNKNOWN, other.code());
            assertEquals("boom", other.statusMessage());
        }
    }

    private static TtrpcException failure(TtrpcClient client, String kind) {
        return assertThrows(TtrpcException.class, () -> client.call(ECHO, "Fail", StringValue.of(kind),
                StringValue.parser(), CallOptions.NONE));
    }

    @Test
    void serverGoingAwayMidCallFailsPendingCallsWithUnavailable() throws Exception {
        TtrpcClient client = TtrpcClient.connect(socket);
        CompletableFuture<Empty> pending = client.callAsync(ECHO, "Slow", Empty.getDefaultInstance(), Empty.parser(),
                CallOptions.NONE);
        assertTrue(slowStarted.await(WAIT_SECONDS, TimeUnit.SECONDS));
        server.close();

        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(StatusCode.UNAVAILABLE, ((TtrpcException) e.getCause()).code());
        assertThrows(ExecutionException.class, () -> client.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(client.isOpen());
        TtrpcException after = assertThrows(TtrpcException.class, () -> client.call(ECHO, "Reverse",
                StringValue.of("x"), StringValue.parser(), CallOptions.NONE));
        assertEquals(StatusCode.UNAVAILABLE, after.code());
        assertFalse(Files.exists(socket), "listener removed its socket file");
    }

    @Test
    void closingTheClientFailsItsPendingCalls() throws Exception {
        TtrpcClient client = TtrpcClient.connect(socket);
        CompletableFuture<Empty> pending = client.callAsync(ECHO, "Slow", Empty.getDefaultInstance(), Empty.parser(),
                CallOptions.NONE);
        client.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(StatusCode.UNAVAILABLE, ((TtrpcException) e.getCause()).code());
        client.closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS); // completes normally after close()
    }

    @Test
    void oversizedRequestIsRefusedLocallyAndTheConnectionStaysUsable() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            String big = "x".repeat(Frame.MAX_DATA_LENGTH);
            TtrpcException e = assertThrows(TtrpcException.class, () -> client.call(ECHO, "Reverse",
                    StringValue.of(big), StringValue.parser(), CallOptions.NONE));
            assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.code());
            assertEquals("ba", client.call(ECHO, "Reverse", StringValue.of("ab"), StringValue.parser(),
                    CallOptions.NONE).getValue());
        }
    }

    @Test
    void worksOverChannelPairsAndStreamPairs() throws Exception {
        Pipe toServer = Pipe.open();
        Pipe toClient = Pipe.open();
        TtrpcServer.Connection connection = server.serve(Transport.of(toServer.source(), toClient.sink(), () -> {
            toServer.source().close();
            toClient.sink().close();
        }));
        // the client side as plain streams, as a vsock socket or a serial port would offer them
        TtrpcClient client = TtrpcClient.over(Transport.of(Channels.newInputStream(toClient.source()),
                Channels.newOutputStream(toServer.sink()), () -> {
                    toServer.sink().close();
                    toClient.source().close();
                }));
        try {
            assertEquals("epapip", client.call(ECHO, "Reverse", StringValue.of("pipape"), StringValue.parser(),
                    CallOptions.NONE).getValue());
        } finally {
            client.close();
        }
        connection.done().get(WAIT_SECONDS, TimeUnit.SECONDS); // server saw the end of stream
    }

    // --- raw peers: frames a correct client or server never sends ---

    private static void send(SocketChannel channel, byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(frame);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private static byte[] header(long length, int streamId, int type, int flags) {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_LENGTH);
        Frame.encodeHeader(b, length, streamId, type, flags);
        return b.array();
    }

    private static Response readResponse(FrameReader reader, int expectedStream) throws IOException {
        Frame frame = reader.read();
        assertEquals(Frame.TYPE_RESPONSE, frame.type());
        assertEquals(expectedStream, frame.streamId());
        return Response.parseFrom(frame.data());
    }

    @Test
    void serverAnswersBadStreamsAndOversizedFramesAndClosesOnUnknownType() throws IOException {
        try (SocketChannel raw = SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            FrameReader reader = new FrameReader(raw);
            byte[] echo = Request.newBuilder().setService(ECHO).setMethod("Reverse")
                    .setPayload(StringValue.of("ab").toByteString()).build().toByteArray();

            send(raw, Frame.request(2, echo).encode().array()); // even id
            Response even = readResponse(reader, 2);
            assertEquals(StatusCode.INVALID_ARGUMENT.value(), even.getStatus().getCode());

            send(raw, Frame.request(5, echo).encode().array());
            assertEquals(0, readResponse(reader, 5).getStatus().getCode());
            send(raw, Frame.request(3, echo).encode().array()); // not increasing
            Response reused = readResponse(reader, 3);
            assertEquals(StatusCode.INVALID_ARGUMENT.value(), reused.getStatus().getCode());
            assertTrue(reused.getStatus().getMessage().contains("must increment"));

            send(raw, Frame.request(7, new byte[] {(byte) 0xff, 0x01}).encode().array()); // not a Request
            assertEquals(StatusCode.INVALID_ARGUMENT.value(), readResponse(reader, 7).getStatus().getCode());

            send(raw, header(Frame.MAX_DATA_LENGTH + 1L, 9, Frame.TYPE_REQUEST, 0));
            send(raw, new byte[Frame.MAX_DATA_LENGTH + 1]);
            assertEquals(StatusCode.RESOURCE_EXHAUSTED.value(), readResponse(reader, 9).getStatus().getCode());

            send(raw, Frame.request(11, echo).encode().array()); // still in step after the skipped body
            assertEquals("ba", StringValue.parseFrom(readResponse(reader, 11).getPayload()).getValue());

            send(raw, header(0, 13, 0x09, 0)); // unknown type: the server hangs up
            assertEquals(-1, raw.read(ByteBuffer.allocate(16)));
        }
    }

    @Test
    void clientFailsPendingCallsWhenTheServerBreaksTheFraming() throws Exception {
        // A peer that answers with a frame of unknown type: a fault our server cannot be made to commit.
        Path rawSocket = dir.resolve("raw.sock");
        try (var listener = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(rawSocket));
            try (TtrpcClient client = TtrpcClient.connect(rawSocket); SocketChannel peer = listener.accept()) {
                CompletableFuture<StringValue> call = client.callAsync(ECHO, "Reverse", StringValue.of("x"),
                        StringValue.parser(), CallOptions.NONE);
                Frame request = new FrameReader(peer).read();
                assertEquals(1, request.streamId(), "first client stream id is 1");
                send(peer, header(0, 1, 0x0f, 0));
                ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(WAIT_SECONDS, TimeUnit.SECONDS));
                TtrpcException cause = (TtrpcException) e.getCause();
                assertEquals(StatusCode.UNAVAILABLE, cause.code());
                assertTrue(cause.statusMessage().contains("unknown frame type"), cause.statusMessage());
            }
        }
    }

    @Test
    void clientStreamIdsAreOddAndIncreasing() throws Exception {
        Path rawSocket = dir.resolve("ids.sock");
        try (var listener = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            listener.bind(java.net.UnixDomainSocketAddress.of(rawSocket));
            try (TtrpcClient client = TtrpcClient.connect(rawSocket); SocketChannel peer = listener.accept()) {
                for (int i = 0; i < 3; i++) {
                    client.callAsync(ECHO, "Reverse", StringValue.of("x"), StringValue.parser(), CallOptions.NONE);
                }
                FrameReader reader = new FrameReader(peer);
                assertEquals(1, reader.read().streamId());
                assertEquals(3, reader.read().streamId());
                assertEquals(5, reader.read().streamId());
            }
        }
    }
}
