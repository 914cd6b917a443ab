package io.atrium.engine.streaming.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyGoAwayFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The stream layer of an upgraded SPDY/3.1 connection, after Netty's {@code SpdyFrameCodec}: client
 * streams are accepted with a SYN_REPLY and handed to a {@link Listener}; data frames feed each
 * stream's pipe, FIN ends it, RST_STREAM aborts it. Pings are echoed. A stream is forgotten once both
 * sides have ended it, and at most {@link #MAX_STREAMS} are open at a time, so a long port-forward
 * session or a client opening streams without end cannot grow the node's memory.
 *
 * <p>Netty's {@code SpdySessionHandler} is not used on purpose: it enforces SPDY flow-control windows,
 * and Go's spdystream (behind kubectl, crictl and kubelet) never sends WINDOW_UPDATE, so output
 * stalled after 64 KiB. Like spdystream, this layer leaves flow control to TCP and to the
 * connection's writability (see {@link Writability}).
 */
final class SpdyConnectionHandler extends ChannelDuplexHandler {
    private static final Logger LOG = Logger.getLogger(SpdyConnectionHandler.class.getName());
    static final int MAX_STREAMS = 1000;

    /** What the session does with streams. Called on the event loop; must not block. */
    interface Listener {
        /** A new stream; false refuses it (the client gets RST_STREAM). */
        boolean opened(SpdyStreamEnd stream);

        /** The connection is gone; every stream has been aborted. */
        void closed();
    }

    private final Listener listener;
    private final Map<Integer, SpdyStreamEnd> streams = new HashMap<>();
    private Writability writability;
    private ReadGate gate;
    private int lastClientStream;

    SpdyConnectionHandler(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        writability = new Writability(ctx.channel());
        gate = new ReadGate(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SpdySynStreamFrame syn) {
                opened(ctx, syn);
            } else if (msg instanceof SpdyDataFrame data) {
                SpdyStreamEnd s = streams.get(data.streamId());
                if (s == null) {
                    ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(data.streamId(), SpdyStreamStatus.INVALID_STREAM));
                    return;
                }
                ByteBuf content = data.content();
                if (content.isReadable()) {
                    s.in.offer(content.retain());
                }
                if (data.isLast()) {
                    s.in.finish();
                    s.remoteEnded = true;
                    forgetIfDone(s);
                }
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                SpdyStreamEnd s = streams.remove(rst.streamId());
                if (s != null) {
                    s.abort();
                }
            } else if (msg instanceof SpdyPingFrame ping) {
                if ((ping.id() & 1) == 1) { // a client's ping (odd id): echo it
                    ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
                }
            } else if (msg instanceof SpdyGoAwayFrame) {
                ctx.close();
            }
            // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do (see the class comment on flow control)
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void opened(ChannelHandlerContext ctx, SpdySynStreamFrame syn) {
        int id = syn.streamId();
        if ((id & 1) == 0 || id <= lastClientStream) {
            // clients open odd, increasing ids; anything else is a protocol error for the whole session
            LOG.fine(() -> "SPDY client opened stream " + id + " after " + lastClientStream + "; closing");
            ctx.writeAndFlush(new DefaultSpdyGoAwayFrame(lastClientStream)).addListener(f -> ctx.close());
            return;
        }
        lastClientStream = id;
        if (streams.size() >= MAX_STREAMS) {
            LOG.fine(() -> "SPDY client has " + MAX_STREAMS + " streams open; refusing stream " + id);
            ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.REFUSED_STREAM));
            return;
        }
        Map<String, String> headers = new HashMap<>();
        syn.headers().forEach(h -> headers.put(h.getKey().toString().toLowerCase(Locale.ROOT), h.getValue().toString()));
        InboundPipe in = new InboundPipe(gate);
        OutboundStream out = new OutboundStream(ctx.channel(), writability, new Framer() {
            @Override
            public Object data(ByteBuf payload) {
                return new DefaultSpdyDataFrame(id, payload);
            }

            @Override
            public Object end() {
                return new DefaultSpdyDataFrame(id).setLast(true);
            }
        });
        SpdyStreamEnd stream = new SpdyStreamEnd(id, headers, in, out);
        if (syn.isLast()) {
            in.finish();
            stream.remoteEnded = true;
        }
        if (syn.isUnidirectional()) {
            out.abandon();
            stream.localEnded = true;
        }
        if (!listener.opened(stream)) {
            stream.abort();
            ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.REFUSED_STREAM));
            return;
        }
        streams.put(id, stream);
        ctx.writeAndFlush(new DefaultSpdySynReplyFrame(id));
    }

    /** Our FIN on a stream passes here on its way out. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SpdyDataFrame d && d.isLast()) {
            SpdyStreamEnd s = streams.get(d.streamId());
            if (s != null) {
                s.localEnded = true;
                forgetIfDone(s);
            }
        }
        ctx.write(msg, promise);
    }

    private void forgetIfDone(SpdyStreamEnd s) {
        if (s.localEnded && s.remoteEnded) {
            streams.remove(s.id);
        }
    }

    int openStreams() {
        return streams.size();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writability.changed();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        streams.values().forEach(SpdyStreamEnd::abort);
        streams.clear();
        writability.changed();
        listener.closed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // malformed frames (SpdyProtocolException) or a broken connection: this connection ends, the server stays
        LOG.log(Level.FINE, "SPDY streaming connection failed", cause);
        ctx.close();
    }
}
