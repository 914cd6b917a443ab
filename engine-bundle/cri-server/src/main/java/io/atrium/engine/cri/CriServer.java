package io.atrium.engine.cri;

import io.atrium.engine.cri.client.CriClient;
import io.atrium.host.spi.ListeningSocket;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The CRI endpoint: one gRPC server serving every {@link BindableService} registered with a
 * {@value #SERVICE_PROPERTY} property, on the unix socket the host lends ({@link ListeningSocket}
 * named {@value ListeningSocket#CRI}), or on one it binds itself (mode 0660) when no host lends one.
 *
 * <p>Live upgrade: the host keeps the socket open while this bundle is updated, so new clients
 * wait in the accept backlog; on deactivation the server stops accepting, lets calls in flight
 * finish for at most the drain bound ({@value #DRAIN_PROPERTY}, default 10 s) and then cancels
 * them, and leaves a lent socket open for the next version. Services come and go through
 * {@link CriServices}: while the bundle providing one is swapped, its calls wait for the next
 * provider (bounded) instead of failing; a service never served answers UNIMPLEMENTED.
 *
 * <p>The server uses Netty's NIO transport: a JDK {@code ServerSocketChannel} is the one listening
 * socket type that can be handed from one bundle version to the next without native file-descriptor
 * tricks, and Netty's epoll channels cannot adopt it.
 */
@Component(service = {}, immediate = true)
public final class CriServer {
    /** Service property naming the CRI service a BindableService implements, e.g. runtime or image. */
    public static final String SERVICE_PROPERTY = "cri.service";
    /** Framework property: how long a call waits for a swapped service's next provider (ms). */
    static final String SWAP_WAIT_PROPERTY = "atrium.cri.swap.wait.ms";
    /** Used when {@value #SWAP_WAIT_PROPERTY} is not set: the node's one swap bound. */
    static final String SANDBOXER_SWAP_WAIT_PROPERTY = "atrium.sandboxer.swap.wait.ms";
    /** Framework property: how long calls in flight may run on when the server stops (ms). */
    static final String DRAIN_PROPERTY = "atrium.cri.drain.ms";
    static final Duration DEFAULT_SWAP_WAIT = Duration.ofSeconds(30);
    static final Duration DEFAULT_DRAIN = Duration.ofSeconds(10);
    private static final Logger LOG = Logger.getLogger(CriServer.class.getName());

    private final CriListener listener;
    private final Duration drain;
    private final ScheduledExecutorService timer;
    private final CriServices services;
    private final EventLoopGroup group;
    private final Server server;
    private final BundleContext context;
    private final BundleListener uninstalls;
    private final AtomicReference<AdoptedServerChannel> accepting = new AtomicReference<>();
    private final AtomicBoolean stopped = new AtomicBoolean();

    @Activate
    public CriServer(BundleContext context,
            @Reference(name = "listeningSocket", cardinality = ReferenceCardinality.OPTIONAL,
                    target = "(" + ListeningSocket.NAME_PROPERTY + "=" + ListeningSocket.CRI + ")") ListeningSocket lent)
            throws IOException {
        this(lent != null ? CriListener.lent(lent) : CriListener.bind(CriSocket.resolve(context::getProperty)),
                duration(context::getProperty, DEFAULT_SWAP_WAIT, SWAP_WAIT_PROPERTY, SANDBOXER_SWAP_WAIT_PROPERTY),
                duration(context::getProperty, DEFAULT_DRAIN, DRAIN_PROPERTY), context);
    }

    /** A server binding its own socket, as outside a node; not yet accepting (see {@link #start}). */
    CriServer(Path socket) throws IOException {
        this(CriListener.bind(socket), DEFAULT_SWAP_WAIT, DEFAULT_DRAIN, null);
    }

    CriServer(CriListener listener, Duration swapWait, Duration drain, BundleContext context) throws IOException {
        this.listener = listener;
        this.drain = drain;
        this.context = context;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atrium-cri-swap");
            t.setDaemon(true);
            return t;
        });
        services = new CriServices(swapWait, timer);
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        // built directly: ServerBuilder.forPort goes through ServiceLoader, which OSGi breaks
        server = NettyServerBuilder.forAddress(listener.channel().getLocalAddress())
                    .channelFactory(() -> {
                        AdoptedServerChannel channel = new AdoptedServerChannel(listener.channel());
                        accepting.set(channel);
                        return channel;
                    })
                    .bossEventLoopGroup(group)
                    .workerEventLoopGroup(group)
                    .fallbackHandlerRegistry(services)
                    .maxInboundMessageSize(CriClient.MAX_MESSAGE_BYTES)
                    .build();
        if (context != null) {
            uninstalls = event -> {
                if (event.getType() == BundleEvent.UNINSTALLED) {
                    services.uninstalled(event.getBundle().getBundleId());
                }
            };
            context.addBundleListener(uninstalls);
        } else {
            uninstalls = null;
        }
    }

    /**
     * Starts accepting. Declarative Services calls this after binding the services available now,
     * so the first call accepted does not find RuntimeService missing just because its binding
     * had not happened yet.
     */
    @Activate
    void start() throws IOException {
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            if (context != null) {
                context.removeBundleListener(uninstalls);
            }
            server.shutdownNow();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            timer.shutdownNow();
            listener.close();
            throw e;
        }
        LOG.info("CRI listening on " + listener.path() + (listener.owned() ? " (bound by this bundle)" : " (lent by the host)"));
    }

    @Reference(name = "criServices", service = BindableService.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + SERVICE_PROPERTY + "=*)")
    void addService(BindableService service, Map<String, Object> properties) {
        services.add(service, ranking(properties), longProperty(properties, Constants.SERVICE_ID),
                longProperty(properties, Constants.SERVICE_BUNDLEID));
        LOG.info("CRI serving " + properties.get(SERVICE_PROPERTY) + ": " + services.served());
    }

    void removeService(BindableService service, Map<String, Object> properties) {
        services.remove(service);
        LOG.info("CRI no longer serving " + properties.get(SERVICE_PROPERTY) + ": " + services.served());
    }

    /** Calls waiting for a swapped service are released at once when its bundle is uninstalled. */
    void bundleUninstalled(long bundleId) {
        services.uninstalled(bundleId);
    }

    Path socket() {
        return listener.path();
    }

    List<String> served() {
        return services.served();
    }

    int waitingCalls() {
        return services.waitingCalls();
    }

    /** Stops accepting, drains calls in flight (bounded), and keeps a lent socket open. */
    @Deactivate
    void deactivate() throws InterruptedException, IOException {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        if (context != null) {
            context.removeBundleListener(uninstalls);
        }
        AdoptedServerChannel channel = accepting.get();
        if (channel != null && !channel.stopAccepting(Duration.ofSeconds(2))) {
            LOG.warning("connections accepted just before stopping were not set up within 2 s; they may be cut");
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(drain.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("CRI calls still running after the " + drain.toMillis() + " ms drain bound are cancelled");
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            timer.shutdownNow();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            listener.close();
        }
    }

    private static int ranking(Map<String, Object> properties) {
        return properties.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
    }

    private static long longProperty(Map<String, Object> properties, String key) {
        return properties.get(key) instanceof Long id ? id : Long.MAX_VALUE;
    }

    /** The first of {@code keys} set, in milliseconds, else {@code fallback}. */
    static Duration duration(UnaryOperator<String> frameworkProperty, Duration fallback, String... keys) {
        for (String key : keys) {
            String value = frameworkProperty.apply(key);
            if (value != null && !value.isBlank()) {
                try {
                    long ms = Long.parseLong(value.trim());
                    if (ms < 0) {
                        throw new NumberFormatException("negative");
                    }
                    return Duration.ofMillis(ms);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(key + " must be a number of milliseconds >= 0, got '" + value + "'");
                }
            }
        }
        return fallback;
    }
}
