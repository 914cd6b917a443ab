package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.engine.streaming.StreamOptions;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * WebSocket upgrade (Netty's RFC 6455 handshaker) with Kubernetes' channel subprotocols. As
 * kubelet's wsstream, the client's first subprotocol the server knows wins, no subprotocol means
 * binary {@code channel.k8s.io}, and only unknown ones are refused with 403.
 *
 * <p>Exec/attach channels: 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4 resize. Port-forward:
 * per port a data channel (2i) and an error channel (2i+1), each opened by the port as two
 * little-endian bytes.
 */
final class WebSocketUpgrade {
    private static final Logger LOG = Logger.getLogger(WebSocketUpgrade.class.getName());
    /** The largest message a client may send (aggregated from frames); client-go sends at most 32 KiB. */
    static final int MAX_MESSAGE = 1024 * 1024;

    private WebSocketUpgrade() {
    }

    static void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query, Object target,
            StreamingContext c) {
        boolean portForward = target instanceof PortForwardTarget;
        List<String> supported = portForward ? Protocols.PORT_FORWARD_WS : Protocols.REMOTE_COMMAND_WS;
        List<String> requested = HttpResponses.commaSeparated(req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        String chosen = requested.isEmpty() ? "" : requested.stream().filter(supported::contains).findFirst().orElse(null);
        if (chosen == null) {
            HttpResponses.refuse(ctx, HttpResponseStatus.FORBIDDEN,
                    "requested protocol(s) are not supported: " + requested + "; supports " + supported);
            return;
        }
        List<Integer> ports = new ArrayList<>();
        if (target instanceof PortForwardTarget pf) {
            ports.addAll(pf.ports());
            if (ports.isEmpty()) {
                for (String v : query.parameters().getOrDefault("port", List.of())) {
                    for (String p : v.split(",")) {
                        int port = SpdyPortForward.parsePort(p.trim());
                        if (port < 1) {
                            HttpResponses.refuse(ctx, HttpResponseStatus.BAD_REQUEST, "unable to parse \"" + v + "\" as a port");
                            return;
                        }
                        ports.add(port);
                    }
                }
            }
            if (ports.isEmpty()) {
                HttpResponses.refuse(ctx, HttpResponseStatus.BAD_REQUEST, "query parameter \"port\" is required");
                return;
            }
        }
        String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url,
                chosen.isEmpty() ? null : chosen, false, MAX_MESSAGE).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            ctx.close();
            return;
        }
        boolean base64 = chosen.contains("base64");
        boolean readable[];
        if (portForward) {
            readable = new boolean[ports.size() * 2];
            for (int i = 0; i < ports.size(); i++) {
                readable[2 * i] = true;
            }
        } else {
            StreamOptions o = target instanceof ExecTarget e ? e.streams() : ((AttachTarget) target).streams();
            readable = new boolean[] {o.stdin(), false, false, false, true};
        }
        WebSocketChannels channels = new WebSocketChannels(ctx.channel(), readable, base64,
                chosen.equals(Protocols.WS_V5));
        handshaker.handshake(ctx.channel(), req).addListener(f -> {
            if (!f.isSuccess()) {
                LOG.log(Level.FINE, "WebSocket handshake failed", f.cause());
                ctx.channel().close();
                return;
            }
            if (target instanceof PortForwardTarget pf) {
                startPortForward(channels, pf, ports, c);
            } else {
                startCommand(channels, target, chosen, c);
            }
        });
        ctx.pipeline().addAfter(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE));
        ctx.pipeline().addAfter("ws-aggregator", "ws-channels", channels);
        ctx.pipeline().remove(ctx.handler());
    }

    private static void startCommand(WebSocketChannels ch, Object target, String protocol, StreamingContext c) {
        StreamOptions o = target instanceof ExecTarget e ? e.streams() : ((AttachTarget) target).streams();
        // an empty message on the first writable channel tells the client the streams are ready
        ch.announce(o.stdout() ? 1 : o.stderr() ? 2 : 3);
        boolean json = protocol.equals(Protocols.WS_V5) || protocol.equals(Protocols.WS_V4)
                || protocol.equals(Protocols.WS_V4_BASE64);
        CommandStreams streams = new CommandStreams(o.stdin() ? ch.in(0) : null, o.stdout() ? ch.out(1) : null,
                o.stderr() ? ch.out(2) : null, ch.out(3), ch.in(4), json, ch.closed(), ch::finish);
        c.workers().execute(() -> {
            if (target instanceof ExecTarget e) {
                c.commands().exec(e, streams);
            } else {
                c.commands().attach((AttachTarget) target, streams);
            }
        });
    }

    private static void startPortForward(WebSocketChannels ch, PortForwardTarget target, List<Integer> ports,
            StreamingContext c) {
        CountDownLatch done = new CountDownLatch(ports.size());
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            byte[] prefix = {(byte) (port & 0xff), (byte) (port >> 8)};
            OutboundStream data = ch.out(2 * i);
            OutboundStream error = ch.out(2 * i + 1);
            InboundPipe in = ch.in(2 * i);
            data.write(prefix);
            error.write(prefix);
            c.workers().execute(() -> {
                try {
                    ByteChannel pod = c.dialer().open(target, port);
                    PortForwardPump.run(c.workers(), pod, in, data, ch.closed());
                } catch (Exception e) {
                    LOG.log(Level.FINE, "port-forward to " + port + " in pod " + target.podSandboxId(), e);
                    error.write(("error forwarding port " + port + " to pod " + target.podSandboxId() + ", uid : "
                            + e.getMessage()).getBytes(StandardCharsets.UTF_8));
                    in.close();
                } finally {
                    done.countDown();
                }
            });
        }
        c.workers().execute(() -> {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ch.finish();
        });
    }
}
