package io.atrium.engine.streaming.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Kubernetes' channel framing over one WebSocket connection ({@code channel.k8s.io} and its
 * {@code v4.}/{@code v5.} and {@code base64.} variants): every message starts with a channel byte,
 * in the base64 variants the ASCII digit of the channel followed by the base64 payload. With v5 a
 * message {@code [255, n]} closes the client's side of channel {@code n} (stdin end-of-file).
 * Messages arrive whole (Netty's frame aggregator runs before this handler, with a size cap).
 */
final class WebSocketChannels extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(WebSocketChannels.class.getName());
    static final int CLOSE_SIGNAL = 255;

    private final boolean base64;
    private final boolean closeSignal;
    private final InboundPipe[] inbound;
    private final OutboundStream[] outbound;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Channel channel;
    private final Writability writability;

    /**
     * @param readable which channels the client may write to (others' data is dropped, as kubelet
     *        ignores it)
     */
    WebSocketChannels(Channel channel, boolean[] readable, boolean base64, boolean closeSignal) {
        this.channel = channel;
        this.base64 = base64;
        this.closeSignal = closeSignal;
        this.writability = new Writability(channel);
        ReadGate gate = new ReadGate(channel);
        inbound = new InboundPipe[readable.length];
        outbound = new OutboundStream[readable.length];
        for (int i = 0; i < readable.length; i++) {
            inbound[i] = readable[i] ? new InboundPipe(gate) : null;
            byte ch = (byte) i;
            outbound[i] = new OutboundStream(channel, writability, new Framer() {
                @Override
                public Object data(ByteBuf payload) {
                    return frame(ch, payload);
                }

                @Override
                public Object end() {
                    return null; // the framing has no per-channel end towards the client
                }
            });
        }
    }

    InboundPipe in(int channel) {
        return inbound[channel];
    }

    OutboundStream out(int channel) {
        return outbound[channel];
    }

    CompletableFuture<Void> closed() {
        return closed;
    }

    private Object frame(byte ch, ByteBuf payload) {
        try {
            if (base64) {
                String text = (char) ('0' + ch) + Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(payload));
                return new TextWebSocketFrame(text);
            }
            return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {ch}), payload.retain()));
        } finally {
            payload.release();
        }
    }

    /** An empty message on {@code ch}: kubelet sends one on the first writable channel to say the streams are ready. */
    void announce(int ch) {
        channel.writeAndFlush(frame((byte) ch, Unpooled.EMPTY_BUFFER));
    }

    /** A normal close frame, then the connection closes. */
    void finish() {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame close) {
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof BinaryWebSocketFrame || msg instanceof TextWebSocketFrame) {
                message(ctx, ((WebSocketFrame) msg).content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void message(ChannelHandlerContext ctx, ByteBuf content) {
        if (!content.isReadable()) {
            return;
        }
        int first = content.getUnsignedByte(content.readerIndex());
        if (closeSignal && first == CLOSE_SIGNAL) {
            if (content.readableBytes() != 2) {
                LOG.fine("WebSocket close signal without exactly one channel byte; closing the connection");
                ctx.close();
                return;
            }
            int ch = content.getUnsignedByte(content.readerIndex() + 1);
            if (ch >= inbound.length) {
                ctx.close();
                return;
            }
            if (inbound[ch] != null) {
                inbound[ch].finish();
            }
            return;
        }
        int ch = base64 ? first - '0' : first;
        if (ch < 0 || ch >= inbound.length || inbound[ch] == null) {
            return; // kubelet ignores data for channels it does not read
        }
        ByteBuf data = content.retainedSlice(content.readerIndex() + 1, content.readableBytes() - 1);
        if (base64) {
            try {
                byte[] decoded = Base64.getDecoder().decode(data.toString(StandardCharsets.US_ASCII).trim());
                data.release();
                data = Unpooled.wrappedBuffer(decoded);
            } catch (IllegalArgumentException e) {
                data.release();
                LOG.fine("dropping a WebSocket message that is not base64");
                return;
            }
        }
        inbound[ch].offer(data);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writability.changed();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (int i = 0; i < inbound.length; i++) {
            if (inbound[i] != null) {
                inbound[i].close();
            }
            outbound[i].abandon();
        }
        writability.changed();
        closed.complete(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // oversized or malformed frames: this connection ends, the server stays
        LOG.log(Level.FINE, "WebSocket streaming connection failed", cause);
        ctx.close();
    }
}
