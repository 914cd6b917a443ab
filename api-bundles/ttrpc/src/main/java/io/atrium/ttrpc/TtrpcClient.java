package io.atrium.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.atrium.ttrpc.proto.KeyValue;
import io.atrium.ttrpc.proto.Request;
import io.atrium.ttrpc.proto.Response;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A ttrpc client: unary calls multiplexed on one connection. Any number of threads may call at
 * once; a call that blocks on the server (such as task Wait) holds up no other call. One daemon
 * thread per client reads responses.
 *
 * <p>Stream ids are odd and strictly increasing in the order requests reach the wire, as ttrpc
 * servers require. A call fails with a {@link TtrpcException}: the server's status, or locally
 * DEADLINE_EXCEEDED (its timeout passed), UNAVAILABLE (connection closed or lost; every pending
 * call fails at once), CANCELLED (the calling thread was interrupted), RESOURCE_EXHAUSTED (request
 * or response over 4 MiB) or INTERNAL (unreadable response).
 */
public final class TtrpcClient implements Closeable {
    private static final System.Logger LOG = System.getLogger(TtrpcClient.class.getName());
    private static final AtomicInteger CLIENTS = new AtomicInteger();
    private static final long MAX_STREAM_ID = 0xFFFF_FFFFL;

    private final Transport transport;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Map<Integer, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
    private final Object sendLock = new Object();
    private final AtomicReference<TtrpcException> closedBy = new AtomicReference<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private long nextStreamId = 1; // guarded by sendLock

    private TtrpcClient(Transport transport) {
        this.transport = transport;
        this.reader = new FrameReader(transport.input());
        this.writer = new FrameWriter(transport.output());
        Thread thread = new Thread(this::readLoop, "ttrpc-client-" + CLIENTS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /** A client on an open transport; the client owns it from now on. */
    public static TtrpcClient over(Transport transport) {
        return new TtrpcClient(transport);
    }

    /** Connects to a ttrpc server listening on a Unix domain socket. */
    public static TtrpcClient connect(Path unixSocket) throws IOException {
        return new TtrpcClient(Transport.unixSocket(unixSocket));
    }

    /** Calls a method and waits for its answer. */
    public <R extends Message> R call(String service, String method, Message request, Parser<R> responseParser,
            CallOptions options) {
        CompletableFuture<R> future = callAsync(service, method, request, responseParser, options);
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.completeExceptionally(new TtrpcException(StatusCode.CANCELLED, "interrupted while waiting"));
            throw new TtrpcException(StatusCode.CANCELLED, "interrupted while waiting").forCall(service + "/" + method);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TtrpcException t) {
                throw t.forCall(service + "/" + method);
            }
            throw new TtrpcException(StatusCode.INTERNAL, String.valueOf(e.getCause()), e.getCause());
        }
    }

    /**
     * Sends a request and returns at once. The future completes with the parsed response or a
     * {@link TtrpcException}; completing it early (e.g. cancel) abandons the call, and a late
     * answer is dropped.
     */
    public <R extends Message> CompletableFuture<R> callAsync(String service, String method, Message request,
            Parser<R> responseParser, CallOptions options) {
        Request.Builder envelope = Request.newBuilder().setService(service).setMethod(method)
                .setPayload(request.toByteString());
        if (options.timeout() != null) {
            envelope.setTimeoutNano(saturatedNanos(options));
        }
        options.metadata().forEach((key, values) -> values.forEach(
                value -> envelope.addMetadata(KeyValue.newBuilder().setKey(key).setValue(value))));
        byte[] data = envelope.build().toByteArray();
        String call = service + "/" + method;
        if (data.length > Frame.MAX_DATA_LENGTH) {
            return CompletableFuture.failedFuture(new TtrpcException(StatusCode.RESOURCE_EXHAUSTED,
                    call + " request of " + data.length + " bytes exceeds the ttrpc maximum of " + Frame.MAX_DATA_LENGTH));
        }

        CompletableFuture<Response> answer = new CompletableFuture<>();
        int streamId;
        try {
            synchronized (sendLock) {
                failIfClosed();
                if (nextStreamId > MAX_STREAM_ID) {
                    throw new TtrpcException(StatusCode.UNAVAILABLE, "stream ids exhausted; open a new connection");
                }
                streamId = (int) nextStreamId;
                nextStreamId += 2;
                pending.put(streamId, answer);
                writer.write(Frame.request(streamId, data));
            }
        } catch (TtrpcException e) {
            return CompletableFuture.failedFuture(e);
        } catch (IOException e) {
            TtrpcException lost = new TtrpcException(StatusCode.UNAVAILABLE, "cannot send " + call + ": " + e.getMessage(), e);
            shutdown(lost);
            return CompletableFuture.failedFuture(lost);
        }
        failIfClosedLater(answer); // the reader may have closed between put and write

        CompletableFuture<R> result = answer.thenApply(response -> parse(response, call, responseParser));
        // Abandoning the result (timeout, cancel, interrupted caller) forgets the stream.
        result.whenComplete((r, e) -> {
            if (!answer.isDone()) {
                answer.completeExceptionally(e == null ? new IllegalStateException("abandoned") : e);
            }
            pending.remove(streamId, answer);
        });
        if (options.timeout() != null) {
            CompletableFuture.delayedExecutor(options.timeout().toNanos(), TimeUnit.NANOSECONDS)
                    .execute(() -> result.completeExceptionally(new TtrpcException(StatusCode.DEADLINE_EXCEEDED,
                            call + " got no answer within " + options.timeout())));
        }
        return result;
    }

    /** Whether the connection is still usable. */
    public boolean isOpen() {
        return closedBy.get() == null;
    }

    /**
     * Completes when the connection ends: normally after {@link #close()}, exceptionally with a
     * {@link TtrpcException} (UNAVAILABLE) when the peer went away or broke the protocol.
     */
    public CompletableFuture<Void> closeFuture() {
        return closed.copy();
    }

    @Override
    public void close() {
        shutdown(new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc client closed"), true);
    }

    private void readLoop() {
        try {
            while (true) {
                Frame frame;
                try {
                    frame = reader.read();
                } catch (OversizedFrameException e) {
                    fail(e.streamId(), new TtrpcException(StatusCode.RESOURCE_EXHAUSTED, "response " + e.getMessage()));
                    continue;
                }
                if (frame == null) {
                    shutdown(new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc connection closed by the server"));
                    return;
                }
                switch (frame.type()) {
                    case Frame.TYPE_RESPONSE -> {
                        CompletableFuture<Response> answer = pending.remove(frame.streamId());
                        if (answer == null) {
                            LOG.log(Level.DEBUG, "dropping answer for abandoned or unknown stream {0}",
                                    Integer.toUnsignedString(frame.streamId()));
                            continue;
                        }
                        try {
                            answer.complete(Response.parseFrom(frame.data()));
                        } catch (InvalidProtocolBufferException e) {
                            answer.completeExceptionally(new TtrpcException(StatusCode.INTERNAL,
                                    "unreadable ttrpc response envelope: " + e.getMessage(), e));
                        }
                    }
                    // This client makes unary calls only; data on one of them is the server's mistake.
                    case Frame.TYPE_DATA -> fail(frame.streamId(), new TtrpcException(StatusCode.INTERNAL,
                            "server sent stream data on a unary call"));
                    default -> throw new TtrpcProtocolException(
                            "server sent a request frame; server-initiated streams are not part of ttrpc (" + frame + ")");
                }
            }
        } catch (ClosedChannelException e) {
            // close() got there first (or someone closed the transport under us)
            shutdown(new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc transport closed", e));
        } catch (TtrpcProtocolException e) {
            shutdown(new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc protocol error, connection closed: "
                    + e.getMessage(), e));
        } catch (IOException | RuntimeException e) {
            shutdown(new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc connection lost: " + e, e));
        }
    }

    private void fail(int streamId, TtrpcException e) {
        CompletableFuture<Response> answer = pending.remove(streamId);
        if (answer != null) {
            answer.completeExceptionally(e);
        }
    }

    private void shutdown(TtrpcException reason) {
        shutdown(reason, false);
    }

    private void shutdown(TtrpcException reason, boolean byClose) {
        if (!closedBy.compareAndSet(null, reason)) {
            return;
        }
        try {
            transport.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing ttrpc transport", e);
        }
        for (Integer id : pending.keySet()) {
            fail(id, reason);
        }
        if (byClose) {
            closed.complete(null);
        } else {
            closed.completeExceptionally(reason);
        }
    }

    private void failIfClosed() {
        TtrpcException reason = closedBy.get();
        if (reason != null) {
            throw new TtrpcException(reason.code(), reason.statusMessage(), reason);
        }
    }

    private void failIfClosedLater(CompletableFuture<Response> answer) {
        TtrpcException reason = closedBy.get();
        if (reason != null) {
            answer.completeExceptionally(reason);
        }
    }

    private static long saturatedNanos(CallOptions options) {
        try {
            return options.timeout().toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static <R extends Message> R parse(Response response, String call, Parser<R> parser) {
        if (response.hasStatus() && response.getStatus().getCode() != StatusCode.OK.value()) {
            throw TtrpcException.fromStatus(response.getStatus(), null);
        }
        try {
            return parser.parseFrom(response.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(StatusCode.INTERNAL, "unreadable " + call + " response: " + e.getMessage(), e);
        }
    }
}
