package io.atrium.engine.streaming.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket and the per-connection pipeline: optional TLS, an idle timeout, HTTP/1.1 for
 * the first request, then {@link RequestRouter} switches the connection to SPDY or WebSocket.
 * Outbound buffers are bounded by the write-buffer water marks that {@link Writability} waits on.
 */
final class HttpStreamServer implements AutoCloseable {
    /** Above this many queued outbound bytes a connection is unwritable and writers wait. */
    static final int HIGH_WATER = 64 * 1024;
    static final int LOW_WATER = 32 * 1024;
    /** Limits of the one HTTP request before the upgrade (headers, and a body kubelet never sends). */
    static final int MAX_HEADER = 16 * 1024;
    static final int MAX_BODY = 64 * 1024;

    private final EventLoopGroup group;
    private final Channel server;
    private final String baseUrl;

    HttpStreamServer(StreamingSettings settings, StreamingContext context) throws IOException {
        SslContext ssl = null;
        if (settings.tls()) {
            ssl = SslContextBuilder.forServer(settings.tlsCert().toFile(), settings.tlsKey().toFile()).build();
        }
        SslContext tls = ssl;
        group = new MultiThreadIoEventLoopGroup(2, r -> {
            Thread t = new Thread(r, "atrium-streaming-io");
            t.setDaemon(true);
            return t;
        }, NioIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (tls != null) {
                                ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0,
                                    settings.idleTimeout().toSeconds(), TimeUnit.SECONDS));
                            ch.pipeline().addLast("idle-close", new IdleCloser());
                            ch.pipeline().addLast("http", new HttpServerCodec(4096, MAX_HEADER, 8192));
                            ch.pipeline().addLast("http-aggregator", new HttpObjectAggregator(MAX_BODY));
                            ch.pipeline().addLast("router", new RequestRouter(context));
                        }
                    })
                    .bind(settings.address()).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen for streaming on " + settings.address() + ": " + e.getMessage(), e);
        }
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        InetAddress host = bound.getAddress();
        if (host.isAnyLocalAddress()) {
            host = InetAddress.getLocalHost(); // a wildcard cannot be dialled: name this node instead
        }
        String h = host.getHostAddress();
        baseUrl = (settings.tls() ? "https://" : "http://") + (h.contains(":") ? "[" + h + "]" : h) + ":" + bound.getPort();
    }

    /** {@code http(s)://host:port}, with the port actually bound. */
    String baseUrl() {
        return baseUrl;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Closes a connection that saw no traffic either way for the idle timeout. */
    private static final class IdleCloser extends ChannelDuplexHandler {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }
    }
}
