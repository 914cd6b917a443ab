package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.StreamOptions;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Collects the streams of an exec or attach over SPDY: the client opens one stream per
 * {@code streamType} header (error, stdin, stdout, stderr, and resize for a terminal from v3 on).
 * Once as many known streams as the request implies have arrived, the session starts; if they do
 * not arrive within the creation timeout, the connection is closed (kubelet does the same).
 */
final class SpdyCommandStreams implements SpdyConnectionHandler.Listener {
    private static final Logger LOG = Logger.getLogger(SpdyCommandStreams.class.getName());

    private final Channel channel;
    private final boolean jsonStatus;
    private final int expected;
    private final Consumer<CommandStreams> start;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private SpdyStreamEnd stdin;
    private SpdyStreamEnd stdout;
    private SpdyStreamEnd stderr;
    private SpdyStreamEnd error;
    private SpdyStreamEnd resize;
    private int received;
    private volatile int lastStream;
    private boolean started;

    /**
     * @param protocol the negotiated X-Stream-Protocol-Version
     */
    SpdyCommandStreams(Channel channel, String protocol, StreamOptions options, Duration creationTimeout,
            Consumer<CommandStreams> start) {
        this.channel = channel;
        this.jsonStatus = protocol.equals(Protocols.V4);
        boolean resizing = protocol.equals(Protocols.V4) || protocol.equals(Protocols.V3);
        this.expected = 1 + (options.stdin() ? 1 : 0) + (options.stdout() ? 1 : 0) + (options.stderr() ? 1 : 0)
                + (options.tty() && resizing ? 1 : 0);
        this.start = start;
        channel.eventLoop().schedule(() -> {
            if (!started) {
                LOG.fine("timed out waiting for the client to create its streams");
                channel.close();
            }
        }, creationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean opened(SpdyStreamEnd s) {
        lastStream = Math.max(lastStream, s.id);
        if (started) {
            return true; // accepted and unused, as kubelet does with late streams
        }
        switch (s.header("streamtype")) {
            case "error" -> error = s;
            case "stdin" -> stdin = s;
            case "stdout" -> stdout = s;
            case "stderr" -> stderr = s;
            case "resize" -> resize = s;
            default -> {
                LOG.fine(() -> "unexpected stream type '" + s.header("streamtype") + "'");
                return true;
            }
        }
        if (++received == expected) {
            started = true;
            // the client has nothing to say on output streams: drop what it sends there instead of queueing it
            for (SpdyStreamEnd out : new SpdyStreamEnd[] {stdout, stderr, error}) {
                if (out != null) {
                    out.in.close();
                }
            }
            start.accept(new CommandStreams(stdin == null ? null : stdin.in, stdout == null ? null : stdout.out,
                    stderr == null ? null : stderr.out, error == null ? null : error.out,
                    resize == null ? null : resize.in, jsonStatus, closed,
                    // GOAWAY after the last data frame, then close once it is flushed (so nothing queued is lost)
                    () -> channel.writeAndFlush(new DefaultSpdyGoAwayFrame(lastStream))
                            .addListener(ChannelFutureListener.CLOSE)));
        }
        return true;
    }

    @Override
    public void closed() {
        closed.complete(null);
    }
}
