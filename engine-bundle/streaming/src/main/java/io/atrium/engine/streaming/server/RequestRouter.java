package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The first request of a connection: {@code GET|POST /{exec,attach,portforward}/<token>}. The token
 * is consumed (single use) and must name a request of the path's kind, else 404 as kubelet answers.
 * The request then upgrades to WebSocket or SPDY, and this handler leaves the pipeline.
 */
final class RequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = Logger.getLogger(RequestRouter.class.getName());

    private final StreamingContext context;

    RequestRouter(StreamingContext context) {
        this.context = context;
    }

    /** A connection must send its request within the stream creation timeout, or it is closed. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.executor().schedule(() -> {
            if (ctx.pipeline().context(this) != null) {
                ctx.close();
            }
        }, context.settings().streamCreationTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            HttpResponses.refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(req.uri());
        String[] parts = query.path().split("/", -1);
        if (parts.length != 3 || !parts[0].isEmpty() || parts[2].isEmpty()) {
            HttpResponses.refuse(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found");
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.POST)) {
            HttpResponses.refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "405: Method Not Allowed");
            return;
        }
        String kind = parts[1];
        if (!kind.equals("exec") && !kind.equals("attach") && !kind.equals("portforward")) {
            HttpResponses.refuse(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found");
            return;
        }
        Optional<Object> target = context.tokens().consume(parts[2]);
        boolean matches = target.map(t -> switch (kind) {
            case "exec" -> t instanceof ExecTarget;
            case "attach" -> t instanceof AttachTarget;
            default -> t instanceof PortForwardTarget;
        }).orElse(false);
        if (!matches) {
            HttpResponses.refuse(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found");
            return;
        }
        try {
            if (isWebSocket(req)) {
                WebSocketUpgrade.upgrade(ctx, req, query, target.get(), context);
            } else {
                SpdyUpgrade.upgrade(ctx, req, target.get(), context);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "upgrading a streaming connection failed", e);
            ctx.close();
        }
    }

    static boolean isWebSocket(FullHttpRequest req) {
        return req.headers().getAll(HttpHeaderNames.CONNECTION).stream()
                .anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("upgrade"))
                && req.headers().getAll(HttpHeaderNames.UPGRADE).stream().anyMatch(v -> v.equalsIgnoreCase("websocket"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "streaming connection failed before upgrade", cause);
        ctx.close();
    }
}
