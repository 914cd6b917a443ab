package io.atrium.engine.streaming.server;

import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.engine.streaming.StreamingServer;
import io.atrium.sandbox.api.NodePaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The node's CRI streaming server: listens on {@code atrium.streaming.address} (loopback, a free
 * port, by default) and serves the URLs it hands out for Exec, Attach and PortForward.
 *
 * <p>Sessions block (a sandboxer's stdin copy reads, output writes wait for a slow client), so they
 * run on worker threads, never on Netty's event loops.
 */
@Component(service = StreamingServer.class, immediate = true)
public final class StreamingComponent implements StreamingServer {
    private static final Logger LOG = Logger.getLogger(StreamingComponent.class.getName());
    /** Requests waiting for their client at most (kubelet's limit). */
    static final int MAX_WAITING = 1000;

    private final StreamingCore core;

    @Activate
    public StreamingComponent(BundleContext context) throws IOException {
        StreamingSettings settings = StreamingSettings.from(context::getProperty);
        String state = context.getProperty(NodePaths.STATE_PROPERTY);
        core = new StreamingCore(settings, Path.of(state == null || state.isBlank() ? "/run/atrium" : state.trim()));
        LOG.info("CRI streaming server on " + core.baseUrl() + " (tokens valid " + settings.tokenTtl().toSeconds() + " s)");
    }

    @Override
    public String exec(ExecTarget target) {
        return core.exec(target);
    }

    @Override
    public String attach(AttachTarget target) {
        return core.attach(target);
    }

    @Override
    public String portForward(PortForwardTarget target) {
        return core.portForward(target);
    }

    @Deactivate
    void deactivate() {
        core.close();
    }

    /** The server without OSGi, for the component and for tests. */
    static final class StreamingCore implements StreamingServer, AutoCloseable {
        private final TokenCache tokens;
        private final ExecutorService workers;
        private final HttpStreamServer server;

        StreamingCore(StreamingSettings settings, Path stateDir) throws IOException {
            tokens = new TokenCache(settings.tokenTtl(), MAX_WAITING, System::nanoTime);
            AtomicInteger n = new AtomicInteger();
            workers = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "atrium-streaming-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            StreamingContext context = new StreamingContext(tokens, workers, new RemoteCommandSession(workers),
                    new PodPortDialer(stateDir), settings);
            try {
                server = new HttpStreamServer(settings, context);
            } catch (IOException | RuntimeException e) {
                workers.shutdownNow();
                throw e;
            }
        }

        String baseUrl() {
            return server.baseUrl();
        }

        TokenCache tokens() {
            return tokens;
        }

        @Override
        public String exec(ExecTarget target) {
            return server.baseUrl() + "/exec/" + tokens.insert(target);
        }

        @Override
        public String attach(AttachTarget target) {
            return server.baseUrl() + "/attach/" + tokens.insert(target);
        }

        @Override
        public String portForward(PortForwardTarget target) {
            return server.baseUrl() + "/portforward/" + tokens.insert(target);
        }

        @Override
        public void close() {
            server.close();
            workers.shutdownNow();
        }
    }
}
