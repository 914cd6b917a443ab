package io.atrium.engine.streaming.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Plain-text refusals, shaped like Go's {@code http.Error}; the connection closes after each. */
final class HttpResponses {
    private HttpResponses() {
    }

    static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        refuse(ctx, status, message, Map.of());
    }

    static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message,
            Map<String, List<String>> headers) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        headers.forEach((k, vs) -> vs.forEach(v -> r.headers().add(k, v)));
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    /** Header values split at commas, trimmed, empty ones dropped (as Kubernetes reads protocol lists). */
    static List<String> commaSeparated(List<String> values) {
        List<String> out = new ArrayList<>();
        for (String v : values) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
