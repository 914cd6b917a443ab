package io.atrium.engine.cri;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.ServerChannel;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.nio.AbstractNioMessageChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Netty server channel over a JDK unix {@link ServerSocketChannel} that is already bound and
 * that this channel does not own. Netty's own {@code NioServerDomainSocketChannel} always binds and,
 * when closed, closes the socket and unlinks its file; here bind only checks the address and close
 * only stops accepting (deregisters from the selector), so the socket outlives the gRPC server and
 * pending connections stay queued for the next one. Accepted connections are ordinary
 * {@link NioDomainSocketChannel}s.
 */
final class AdoptedServerChannel extends AbstractNioMessageChannel implements ServerChannel {

    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final Config config = new Config();
    private volatile boolean bound;
    private volatile boolean released;
    /** Accepted connections not yet handed to gRPC (their registration is still queued). */
    private final Set<Channel> settingUp = ConcurrentHashMap.newKeySet();

    AdoptedServerChannel(ServerSocketChannel listening) {
        super(null, listening, SelectionKey.OP_ACCEPT);
    }

    @Override
    protected ServerSocketChannel javaChannel() {
        return (ServerSocketChannel) super.javaChannel();
    }

    @Override
    public DefaultChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return !released && javaChannel().isOpen();
    }

    @Override
    public boolean isActive() {
        return bound && isOpen();
    }

    /** The socket was bound by its owner; "binding" just starts serving it, at the address it has. */
    @Override
    protected void doBind(SocketAddress requested) throws Exception {
        SocketAddress actual = javaChannel().getLocalAddress();
        if (!requested.equals(actual)) {
            throw new IllegalArgumentException("the adopted socket is bound to " + actual + ", not " + requested);
        }
        bound = true;
    }

    /** Stops accepting; the socket stays open (Netty deregisters it from the selector after this). */
    @Override
    protected void doClose() {
        released = true;
    }

    @Override
    protected int doReadMessages(List<Object> accepted) throws Exception {
        SocketChannel connection = javaChannel().accept();
        if (connection == null) {
            return 0;
        }
        NioDomainSocketChannel child = new NioDomainSocketChannel(this, connection);
        settingUp.add(child);
        child.closeFuture().addListener(f -> settingUp.remove(child));
        // first in the pipeline, so it hears channelRegistered after gRPC's initializer made the transport
        child.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRegistered(ChannelHandlerContext ctx) {
                settingUp.remove(child);
                ctx.fireChannelRegistered();
                ctx.pipeline().remove(this);
            }
        });
        accepted.add(child);
        return 1;
    }

    /**
     * Stops accepting and waits (bounded) until every connection already accepted is set up in
     * gRPC. A connection gRPC first sees after its shutdown began is closed without a word, and a
     * client with a call on it fails; one set up before gets a GOAWAY and retries elsewhere.
     * Returns whether all were set up in time.
     */
    boolean stopAccepting(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        if (!eventLoop().submit(() -> config.setAutoRead(false)).await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        while (!settingUp.isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        try {
            return javaChannel().getLocalAddress();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected boolean doWriteMessage(Object msg, ChannelOutboundBuffer in) {
        throw new UnsupportedOperationException("a listening socket is not written to");
    }

    @Override
    protected boolean doConnect(SocketAddress remote, SocketAddress local) {
        throw new UnsupportedOperationException("a listening socket does not connect");
    }

    @Override
    protected void doFinishConnect() {
        throw new UnsupportedOperationException("a listening socket does not connect");
    }

    @Override
    protected void doDisconnect() {
        throw new UnsupportedOperationException("a listening socket does not connect");
    }

    private final class Config extends DefaultChannelConfig {
        Config() {
            super(AdoptedServerChannel.this, new ServerChannelRecvByteBufAllocator());
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            // the backlog was fixed by the socket's owner at bind time
            return option == ChannelOption.SO_BACKLOG || super.setOption(option, value);
        }

        @Override
        protected void autoReadCleared() {
            clearReadPending();
        }
    }
}
