package io.atrium.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.ttrpc.proto.KeyValue;
import io.atrium.ttrpc.proto.Request;
import io.atrium.ttrpc.proto.Response;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** The server side of one connection: reads requests, runs handlers, writes one response per stream. */
final class ServerConnection implements TtrpcServer.Connection {
    private static final System.Logger LOG = TtrpcServer.LOG;

    /** A request in flight; whoever flips {@code answered} first writes the stream's only response. */
    private static final class Call {
        final AtomicBoolean answered = new AtomicBoolean();
        volatile Future<?> work;
        volatile Future<?> deadline;
    }

    private final TtrpcServer server;
    private final Transport transport;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final Map<Integer, Call> inFlight = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private long lastStreamId; // reader thread only

    ServerConnection(TtrpcServer server, Transport transport) {
        this.server = server;
        this.transport = transport;
        this.reader = new FrameReader(transport.input());
        this.writer = new FrameWriter(transport.output());
    }

    @Override
    public CompletableFuture<Void> done() {
        return done.copy();
    }

    void run() {
        try {
            Frame frame;
            while (true) {
                try {
                    frame = reader.read();
                } catch (OversizedFrameException e) {
                    answer(e.streamId(), null, new TtrpcException(StatusCode.RESOURCE_EXHAUSTED, e.getMessage()));
                    continue;
                }
                if (frame == null) {
                    break;
                }
                if ((frame.streamId() & 1) == 0) {
                    answer(frame.streamId(), null, new TtrpcException(StatusCode.INVALID_ARGUMENT,
                            "StreamID must be odd for client initiated streams"));
                } else if (frame.type() == Frame.TYPE_REQUEST) {
                    accept(frame);
                } else if (frame.type() == Frame.TYPE_DATA) {
                    // Every method here is unary: data has no place on any stream.
                    if (!inFlight.containsKey(frame.streamId())) {
                        answer(frame.streamId(), null, new TtrpcException(StatusCode.INVALID_ARGUMENT,
                                "StreamID is no longer active"));
                    }
                } else {
                    throw new TtrpcProtocolException("client sent a response frame (" + frame + ")");
                }
            }
        } catch (ClosedChannelException e) {
            // closed by us
        } catch (TtrpcProtocolException e) {
            LOG.log(Level.WARNING, "ttrpc protocol error, closing the connection: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                LOG.log(Level.WARNING, "ttrpc connection failed", e);
            }
        } finally {
            close();
        }
    }

    private void accept(Frame frame) throws IOException {
        int streamId = frame.streamId();
        long unsignedId = Integer.toUnsignedLong(streamId);
        if (unsignedId <= lastStreamId) {
            answer(streamId, null, new TtrpcException(StatusCode.INVALID_ARGUMENT,
                    "StreamID cannot be re-used and must increment"));
            return;
        }
        lastStreamId = unsignedId;
        Request request;
        TtrpcServer.Method<?, ?> method;
        try {
            request = Request.parseFrom(frame.data());
            method = server.method(request.getService(), request.getMethod());
        } catch (InvalidProtocolBufferException e) {
            answer(streamId, null, new TtrpcException(StatusCode.INVALID_ARGUMENT,
                    "unmarshal request error: " + e.getMessage()));
            return;
        } catch (TtrpcException e) {
            answer(streamId, null, e);
            return;
        }
        Optional<Duration> timeout = request.getTimeoutNano() > 0
                ? Optional.of(Duration.ofNanos(request.getTimeoutNano())) : Optional.empty();
        CallContext context = new CallContext(request.getService(), request.getMethod(), timeout,
                metadata(request.getMetadataList()));
        Call call = new Call();
        inFlight.put(streamId, call);
        try {
            call.work = server.workers().submit(() -> invoke(streamId, call, method, request, context));
            if (timeout.isPresent()) {
                call.deadline = server.deadlines().schedule(() -> expire(streamId, call, context),
                        request.getTimeoutNano(), TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            finish(streamId, call, null, new TtrpcException(StatusCode.UNAVAILABLE, "ttrpc server is shutting down"));
        }
    }

    private <Q extends Message, R extends Message> void invoke(int streamId, Call call, TtrpcServer.Method<Q, R> method,
            Request request, CallContext context) {
        Message result = null;
        TtrpcException failure = null;
        try {
            Q message = method.parser().parseFrom(request.getPayload());
            result = method.handler().handle(message, context);
            if (result == null) {
                failure = new TtrpcException(StatusCode.INTERNAL, "handler returned no response");
            }
        } catch (InvalidProtocolBufferException e) {
            failure = new TtrpcException(StatusCode.INVALID_ARGUMENT, "unreadable " + context.method() + " request: "
                    + e.getMessage());
        } catch (TtrpcException e) {
            failure = e;
        } catch (SandboxException e) {
            failure = new TtrpcException(StatusCode.fromReason(e.reason()), e.getMessage());
        } catch (InterruptedException e) {
            failure = new TtrpcException(StatusCode.CANCELLED, "call cancelled");
        } catch (Exception e) {
            failure = new TtrpcException(StatusCode.UNKNOWN, String.valueOf(e.getMessage() == null ? e : e.getMessage()));
        }
        finish(streamId, call, result, failure);
    }

    private void expire(int streamId, Call call, CallContext context) {
        finish(streamId, call, null, new TtrpcException(StatusCode.DEADLINE_EXCEEDED,
                context.service() + "/" + context.method() + " exceeded its timeout of " + context.timeout().orElseThrow()));
        Future<?> work = call.work;
        if (work != null) {
            work.cancel(true);
        }
    }

    private void finish(int streamId, Call call, Message result, TtrpcException failure) {
        if (!call.answered.compareAndSet(false, true)) {
            return;
        }
        inFlight.remove(streamId, call);
        Future<?> deadline = call.deadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
        try {
            answer(streamId, result, failure);
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.log(Level.WARNING, "cannot write ttrpc response; closing the connection", e);
            }
            close();
        }
    }

    private void answer(int streamId, Message result, TtrpcException failure) throws IOException {
        Response.Builder response = Response.newBuilder();
        if (failure != null) {
            response.setStatus(failure.toStatus());
        } else {
            response.setStatus(io.atrium.ttrpc.proto.Status.getDefaultInstance()).setPayload(result.toByteString());
        }
        byte[] data = response.build().toByteArray();
        if (data.length > Frame.MAX_DATA_LENGTH) {
            data = Response.newBuilder().setStatus(new TtrpcException(StatusCode.RESOURCE_EXHAUSTED,
                    "response of " + data.length + " bytes exceeds the ttrpc maximum of " + Frame.MAX_DATA_LENGTH)
                    .toStatus()).build().toByteArray();
        }
        writer.write(Frame.response(streamId, data));
    }

    private static Map<String, List<String>> metadata(List<KeyValue> pairs) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (KeyValue pair : pairs) {
            map.computeIfAbsent(pair.getKey(), k -> new ArrayList<>()).add(pair.getValue());
        }
        map.replaceAll((k, v) -> List.copyOf(v));
        return map;
    }

    /** Closes the transport and interrupts every handler still running for this connection. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        TtrpcServer.closeQuietly(transport);
        inFlight.values().forEach(call -> {
            call.answered.set(true);
            Future<?> work = call.work;
            if (work != null) {
                work.cancel(true);
            }
            Future<?> deadline = call.deadline;
            if (deadline != null) {
                deadline.cancel(false);
            }
        });
        inFlight.clear();
        done.complete(null);
    }
}
