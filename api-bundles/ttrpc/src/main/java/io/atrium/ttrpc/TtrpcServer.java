package io.atrium.ttrpc;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A ttrpc server: methods registered by service and method name, each request handled on its
 * own worker so a slow method blocks no other. Serves any number of connections: accepted on a
 * Unix socket ({@link #listen(Path)}) or handed in ({@link #serve(Transport)}).
 *
 * <p>Answers as containerd's ttrpc does: UNIMPLEMENTED for an unknown service or method,
 * INVALID_ARGUMENT for an even or reused stream id or an unreadable request, RESOURCE_EXHAUSTED
 * for a frame over 4 MiB (skipped, not read into memory). Unlike containerd's, a frame of unknown
 * type, a corrupt header or a response frame from the client closes the connection: no correct
 * client sends them, and after one nothing on the connection can be trusted.
 */
public final class TtrpcServer implements Closeable {
    static final System.Logger LOG = System.getLogger(TtrpcServer.class.getName());
    private static final AtomicInteger SERVERS = new AtomicInteger();

    record Method<Q extends Message, R extends Message>(Parser<Q> parser, UnaryHandler<Q, R> handler) {
    }

    private final Map<String, Map<String, Method<?, ?>>> services;
    private final ExecutorService workers;
    private final ScheduledExecutorService deadlines;
    private final boolean ownsWorkers;
    private final String name = "ttrpc-server-" + SERVERS.incrementAndGet();
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Listener> listeners = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TtrpcServer(Builder builder) {
        Map<String, Map<String, Method<?, ?>>> copy = new HashMap<>();
        builder.services.forEach((service, methods) -> copy.put(service, Map.copyOf(methods)));
        this.services = Map.copyOf(copy);
        this.ownsWorkers = builder.workers == null;
        this.workers = ownsWorkers ? Executors.newCachedThreadPool(daemon(name + "-worker")) : builder.workers;
        this.deadlines = Executors.newSingleThreadScheduledExecutor(daemon(name + "-deadlines"));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Serves one connection on its own reader thread; the server owns the transport from now on. */
    public Connection serve(Transport transport) {
        if (closed) {
            closeQuietly(transport);
            throw new IllegalStateException("ttrpc server closed");
        }
        ServerConnection connection = new ServerConnection(this, transport);
        connections.add(connection);
        connection.done().whenComplete((v, e) -> connections.remove(connection));
        Thread thread = new Thread(connection::run, name + "-conn");
        thread.setDaemon(true);
        thread.start();
        return connection;
    }

    /**
     * Listens on a Unix domain socket at {@code path} (which must not exist) and serves every
     * connection; the socket file is removed when the listener or the server closes.
     */
    public Closeable listen(Path path) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on ttrpc socket " + path + ": " + e.getMessage(), e);
        }
        Listener listener = new Listener(channel, path);
        listeners.add(listener);
        Thread thread = new Thread(listener::acceptLoop, name + "-accept");
        thread.setDaemon(true);
        thread.start();
        return listener;
    }

    /** Stops listening, closes every connection (interrupting running handlers) and the workers it owns. */
    @Override
    public void close() {
        closed = true;
        listeners.forEach(Listener::close);
        connections.forEach(ServerConnection::close);
        deadlines.shutdownNow();
        if (ownsWorkers) {
            workers.shutdownNow();
        }
    }

    Method<?, ?> method(String service, String method) throws TtrpcException {
        Map<String, Method<?, ?>> methods = services.get(service);
        if (methods == null) {
            throw new TtrpcException(StatusCode.UNIMPLEMENTED, "service " + service);
        }
        Method<?, ?> found = methods.get(method);
        if (found == null) {
            throw new TtrpcException(StatusCode.UNIMPLEMENTED, "method " + method);
        }
        return found;
    }

    ExecutorService workers() {
        return workers;
    }

    ScheduledExecutorService deadlines() {
        return deadlines;
    }

    /** One served connection. */
    public interface Connection extends Closeable {
        /** Completes when the connection has ended, for whatever reason. */
        java.util.concurrent.CompletableFuture<Void> done();

        @Override
        void close();
    }

    /** Collects the methods to serve. */
    public static final class Builder {
        private final Map<String, Map<String, Method<?, ?>>> services = new HashMap<>();
        private ExecutorService workers;

        private Builder() {
        }

        /** Adds {@code service/method}; {@code parser} reads its request message. */
        public <Q extends Message, R extends Message> Builder register(String service, String method, Parser<Q> parser,
                UnaryHandler<Q, R> handler) {
            Map<String, Method<?, ?>> methods = services.computeIfAbsent(service, s -> new HashMap<>());
            if (methods.putIfAbsent(method, new Method<>(Objects.requireNonNull(parser), Objects.requireNonNull(handler)))
                    != null) {
                throw new IllegalArgumentException(service + "/" + method + " registered twice");
            }
            return this;
        }

        /** Runs handlers on this executor (not shut down by the server) instead of the server's own threads. */
        public Builder workers(ExecutorService executor) {
            this.workers = executor;
            return this;
        }

        public TtrpcServer build() {
            return new TtrpcServer(this);
        }
    }

    private final class Listener implements Closeable {
        private final ServerSocketChannel channel;
        private final Path path;

        Listener(ServerSocketChannel channel, Path path) {
            this.channel = channel;
            this.path = path;
        }

        void acceptLoop() {
            while (channel.isOpen()) {
                try {
                    SocketChannel accepted = channel.accept();
                    serve(Transport.of(accepted));
                } catch (IOException | IllegalStateException e) {
                    if (channel.isOpen() && !closed) {
                        LOG.log(Level.WARNING, "ttrpc accept on " + path + " failed; listener stops", e);
                    }
                    close();
                    return;
                }
            }
        }

        @Override
        public void close() {
            listeners.remove(this);
            closeQuietly(channel);
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot remove ttrpc socket " + path, e);
            }
        }
    }

    static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing", e);
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
