package io.atrium.engine.cri.client;

import io.atrium.cri.v1.ImageServiceGrpc;
import io.atrium.cri.v1.RuntimeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A gRPC channel to a CRI unix socket, as kubelet or crictl would open it.
 *
 * <pre>{@code
 * try (CriClient cri = CriClient.connect(socket)) {
 *     cri.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
 * }
 * }</pre>
 */
@ProviderType
public final class CriClient implements AutoCloseable {
    /** kubelet's default maximum CRI message size. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final EventLoopGroup group;
    private final ManagedChannel channel;

    private CriClient(Path socket) {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        // built directly: ManagedChannelBuilder.forTarget goes through ServiceLoader, which OSGi breaks
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .build();
    }

    /** Opens a channel to the socket; the connection itself is made on the first call. */
    public static CriClient connect(Path socket) {
        return new CriClient(socket);
    }

    public ManagedChannel channel() {
        return channel;
    }

    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel);
    }

    public ImageServiceGrpc.ImageServiceBlockingStub image() {
        return ImageServiceGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
}
