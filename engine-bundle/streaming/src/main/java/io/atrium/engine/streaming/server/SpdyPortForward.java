package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.PortForwardTarget;
import io.netty.channel.Channel;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Port-forward over SPDY ({@code portforward.k8s.io}): for every forwarded connection the client
 * opens an error stream and a data stream with the same {@code requestID} and {@code port} headers.
 * Once both are there the data stream is joined to a new connection into the pod; failures are
 * written as text on the error stream. Streams without a valid port or type are refused.
 */
final class SpdyPortForward implements SpdyConnectionHandler.Listener {
    private static final Logger LOG = Logger.getLogger(SpdyPortForward.class.getName());

    private final Channel channel;
    private final PortForwardTarget target;
    private final PodPortDialer dialer;
    private final Executor workers;
    private final Duration creationTimeout;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Map<String, Pair> pairs = new HashMap<>();

    private static final class Pair {
        SpdyStreamEnd data;
        SpdyStreamEnd error;
    }

    SpdyPortForward(Channel channel, PortForwardTarget target, PodPortDialer dialer, Executor workers,
            Duration creationTimeout) {
        this.channel = channel;
        this.target = target;
        this.dialer = dialer;
        this.workers = workers;
        this.creationTimeout = creationTimeout;
    }

    @Override
    public boolean opened(SpdyStreamEnd stream) {
        int port = parsePort(stream.header("port"));
        String type = stream.header("streamtype");
        if (port < 1 || !(type.equals("data") || type.equals("error"))) {
            LOG.fine(() -> "refusing port-forward stream " + stream.id + " with port '" + stream.header("port")
                    + "' and type '" + type + "'");
            return false;
        }
        if (!target.ports().isEmpty() && !target.ports().contains(port)) {
            LOG.fine(() -> "refusing port-forward stream for port " + port + ", not in the request's " + target.ports());
            return false;
        }
        String requestId = stream.header("requestid");
        if (requestId.isEmpty()) {
            // clients older than request ids: error stream n, data stream n + 2 (kubelet's best effort)
            requestId = Integer.toString(type.equals("error") ? stream.id : stream.id - 2);
        }
        String id = requestId;
        Pair pair = pairs.get(id);
        if (pair == null) {
            pair = new Pair();
            pairs.put(id, pair);
            Pair p = pair;
            channel.eventLoop().schedule(() -> {
                if (pairs.get(id) == p) {
                    pairs.remove(id);
                    if (p.error != null) {
                        failed(p.error, "timed out waiting for streams of request " + id);
                    }
                    if (p.data != null) {
                        p.data.out.close();
                    }
                }
            }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (type.equals("data") ? pair.data != null : pair.error != null) {
            failed(pair.error != null ? pair.error : stream, "error processing stream for request " + id + ": "
                    + type + " stream already assigned");
            return false;
        }
        if (type.equals("data")) {
            pair.data = stream;
        } else {
            pair.error = stream;
            stream.in.close(); // nothing is read from an error stream
        }
        if (pair.data != null && pair.error != null) {
            pairs.remove(id);
            Pair complete = pair;
            workers.execute(() -> forward(complete, port));
        }
        return true;
    }

    private void forward(Pair p, int port) {
        ByteChannel pod;
        try {
            pod = dialer.open(target, port);
        } catch (Exception e) {
            LOG.log(Level.FINE, "port-forward to " + port + " in pod " + target.podSandboxId(), e);
            failed(p.error, "error forwarding port " + port + " to pod " + target.podSandboxId() + ", uid : " + e.getMessage());
            p.data.out.close();
            p.data.in.close();
            return;
        }
        PortForwardPump.run(workers, pod, p.data.in, p.data.out, closed);
        p.error.out.close();
    }

    private static void failed(SpdyStreamEnd error, String message) {
        error.out.write(message.getBytes(StandardCharsets.UTF_8));
        error.out.close();
    }

    static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void closed() {
        closed.complete(null);
    }
}
