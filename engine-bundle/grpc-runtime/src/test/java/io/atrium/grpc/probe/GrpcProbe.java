package io.atrium.grpc.probe;

import io.atrium.cri.v1.RuntimeServiceGrpc;
import io.atrium.cri.v1.VersionRequest;
import io.atrium.cri.v1.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/**
 * Runs inside Felix as its own bundle: serves CRI Version on a unix socket and calls it.
 * Published as a {@code Function<String, String>} because java.* types are shared with the
 * test outside the framework while every grpc, netty and CRI class here is a bundle class.
 */
public final class GrpcProbe implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("probe", "grpc");
        context.registerService(Function.class, (Function<String, String>) GrpcProbe::roundTrip, props);
    }

    @Override
    public void stop(BundleContext context) {}

    static String roundTrip(String socketPath) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Server server = null;
        ManagedChannel channel = null;
        try {
            server = NettyServerBuilder.forAddress(new DomainSocketAddress(socketPath))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(group).workerEventLoopGroup(group)
                    .addService(new RuntimeServiceGrpc.RuntimeServiceImplBase() {
                        @Override
                        public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
                            response.onNext(VersionResponse.newBuilder()
                                    .setVersion(request.getVersion()).setRuntimeName("probe").build());
                            response.onCompleted();
                        }
                    })
                    .build().start();
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socketPath))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
            VersionResponse answer = RuntimeServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .version(VersionRequest.newBuilder().setVersion("v1").build());
            return answer.getRuntimeName() + "/" + answer.getVersion()
                    + " grpc=" + FrameworkUtil.getBundle(Server.class).getSymbolicName()
                    + " cri=" + FrameworkUtil.getBundle(VersionResponse.class).getSymbolicName();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            if (server != null) {
                server.shutdownNow();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
