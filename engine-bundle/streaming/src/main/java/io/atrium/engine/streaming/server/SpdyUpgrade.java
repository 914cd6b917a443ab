package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.engine.streaming.StreamOptions;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP Upgrade to SPDY/3.1 as Kubernetes' httpstream does it: the client lists protocols in
 * {@code X-Stream-Protocol-Version}; none listed is 400, none acceptable is 403 with the accepted
 * ones in {@code X-Accepted-Stream-Protocol-Versions}; missing upgrade headers are 400. On success
 * the response is 101 with the chosen protocol, and the connection switches to SPDY frames.
 */
final class SpdyUpgrade {
    static final String SPDY_3_1 = "SPDY/3.1";

    private SpdyUpgrade() {
    }

    static void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, Object target, StreamingContext c) {
        List<String> server = target instanceof PortForwardTarget ? List.of(Protocols.PORT_FORWARD)
                : Protocols.REMOTE_COMMAND_SPDY;
        List<String> client = HttpResponses.commaSeparated(req.headers().getAll(Protocols.HEADER_PROTOCOL));
        if (client.isEmpty()) {
            HttpResponses.refuse(ctx, HttpResponseStatus.BAD_REQUEST,
                    "unable to upgrade: " + Protocols.HEADER_PROTOCOL + " is required");
            return;
        }
        String negotiated = client.stream().filter(server::contains).findFirst().orElse(null);
        if (negotiated == null) {
            HttpResponses.refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to upgrade: unable to negotiate protocol: "
                    + "client supports " + client + ", server accepts " + server,
                    Map.of(Protocols.HEADER_ACCEPTED, server));
            return;
        }
        boolean connectionUpgrade = req.headers().getAll(HttpHeaderNames.CONNECTION).stream()
                .anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("upgrade"));
        boolean spdy = req.headers().getAll(HttpHeaderNames.UPGRADE).stream()
                .anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("spdy/3.1"));
        if (!connectionUpgrade || !spdy) {
            HttpResponses.refuse(ctx, HttpResponseStatus.BAD_REQUEST,
                    "unable to upgrade: missing upgrade headers in request: Connection and Upgrade: " + SPDY_3_1);
            return;
        }
        SpdyConnectionHandler.Listener listener;
        if (target instanceof PortForwardTarget pf) {
            listener = new SpdyPortForward(ctx.channel(), pf, c.dialer(), c.workers(),
                    c.settings().streamCreationTimeout());
        } else {
            StreamOptions options = target instanceof ExecTarget e ? e.streams() : ((AttachTarget) target).streams();
            listener = new SpdyCommandStreams(ctx.channel(), negotiated, options, c.settings().streamCreationTimeout(),
                    streams -> c.workers().execute(() -> {
                        if (target instanceof ExecTarget e) {
                            c.commands().exec(e, streams);
                        } else {
                            c.commands().attach((AttachTarget) target, streams);
                        }
                    }));
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        response.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
        response.headers().set(HttpHeaderNames.UPGRADE, SPDY_3_1);
        response.headers().set(Protocols.HEADER_PROTOCOL, negotiated);
        ctx.writeAndFlush(response);
        // the response went through the HTTP encoder above; from here on the bytes are SPDY frames
        ChannelPipeline p = ctx.pipeline();
        p.addAfter(ctx.name(), "spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        p.addAfter("spdy-codec", "spdy-streams", new SpdyConnectionHandler(listener));
        p.remove(HttpObjectAggregator.class);
        p.remove(ctx.handler());
        p.remove(HttpServerCodec.class);
    }
}
