package io.atrium.engine.cri;

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
import java.util.List;

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
        accepted.add(new NioDomainSocketChannel(this, connection));
        return 1;
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
