package io.atrium.engine.cri;

import io.atrium.engine.cri.client.CriClient;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The CRI endpoint: one gRPC server on a unix socket (mode 0660, epoll) serving every
 * {@link BindableService} registered with a {@value #SERVICE_PROPERTY} property. Services come
 * and go through a fallback {@link io.grpc.util.MutableHandlerRegistry}, so swapping the bundle
 * that implements RuntimeService or ImageService never closes the socket kubelet is connected to;
 * a method nobody serves answers UNIMPLEMENTED.
 */
@Component(service = {}, immediate = true)
public final class CriServer {
    /** Service property naming the CRI service a BindableService implements, e.g. runtime or image. */
    public static final String SERVICE_PROPERTY = "cri.service";
    private static final Logger LOG = Logger.getLogger(CriServer.class.getName());

    private final CriServices services = new CriServices();
    private final Path socket;
    private final EventLoopGroup group;
    private final Server server;

    @Activate
    public CriServer(BundleContext context) throws IOException {
        this(CriSocket.resolve(context::getProperty));
    }

    CriServer(Path socket) throws IOException {
        this.socket = socket;
        CriSocket.prepare(socket);
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        Server started = null;
        try {
            // built directly: ServerBuilder.forPort goes through ServiceLoader, which OSGi breaks
            started = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(group)
                    .workerEventLoopGroup(group)
                    .fallbackHandlerRegistry(services.registry())
                    .maxInboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
                    .build()
                    .start();
            CriSocket.secure(socket);
        } catch (IOException | RuntimeException e) {
            if (started != null) {
                started.shutdownNow();
            }
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
        server = started;
        LOG.info("CRI listening on " + socket);
    }

    @Reference(name = "criServices", service = BindableService.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + SERVICE_PROPERTY + "=*)")
    void addService(BindableService service, Map<String, Object> properties) {
        services.add(service, ranking(properties), serviceId(properties));
        LOG.info("CRI serving " + properties.get(SERVICE_PROPERTY) + ": " + services.served());
    }

    void removeService(BindableService service, Map<String, Object> properties) {
        services.remove(service);
        LOG.info("CRI no longer serving " + properties.get(SERVICE_PROPERTY) + ": " + services.served());
    }

    Path socket() {
        return socket;
    }

    List<String> served() {
        return services.served();
    }

    @Deactivate
    void deactivate() throws InterruptedException, IOException {
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        Files.deleteIfExists(socket);
    }

    private static int ranking(Map<String, Object> properties) {
        return properties.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
    }

    private static long serviceId(Map<String, Object> properties) {
        return properties.get(Constants.SERVICE_ID) instanceof Long id ? id : Long.MAX_VALUE;
    }
}
