package io.atrium.engine.runtime.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * CRI call counts and latencies by method, sandboxer and status code, served for Prometheus on a
 * loopback address ({@value #ADDRESS_PROPERTY}, default {@value #DEFAULT_ADDRESS}). The registry is
 * this component's own, so an engine bundle update registers fresh metrics instead of colliding
 * with the old ones in a process-wide default registry.
 */
@Component(service = CriMetrics.class, immediate = true)
public final class CriMetrics {
    public static final String ADDRESS_PROPERTY = "atrium.metrics.address";
    public static final String DEFAULT_ADDRESS = "127.0.0.1:9478";
    private static final Logger LOG = Logger.getLogger(CriMetrics.class.getName());

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter calls;
    private final Histogram latency;
    private final HTTPServer server;

    @Activate
    public CriMetrics(BundleContext context) throws IOException {
        this(context.getProperty(ADDRESS_PROPERTY));
    }

    public CriMetrics(String address) throws IOException {
        // No exemplars: they need the tracer bundles, and the node has no tracing to link to.
        calls = Counter.builder().name("atrium_cri_requests_total").help("CRI calls answered").withoutExemplars()
                .labelNames("method", "sandboxer", "code").register(registry);
        latency = Histogram.builder().name("atrium_cri_request_duration_seconds").help("CRI call latency").withoutExemplars()
                .labelNames("method", "sandboxer").register(registry);
        String a = address == null || address.isBlank() ? DEFAULT_ADDRESS : address.trim();
        int colon = a.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(ADDRESS_PROPERTY + " must be host:port, got '" + a + "'");
        }
        String host = a.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(a.substring(colon + 1));
        if (!InetAddress.getByName(host).isLoopbackAddress()) {
            throw new IllegalArgumentException(ADDRESS_PROPERTY + " must be a loopback address, got '" + a + "'");
        }
        HTTPServer started = null;
        try {
            started = HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
            LOG.info("CRI metrics at http://" + a + "/metrics");
        } catch (java.net.BindException e) {
            // A taken port must not cost the node its CRI service: count anyway, serve nothing.
            LOG.warning("CRI metrics not served: " + a + " is in use (" + e.getMessage() + "); set "
                    + ADDRESS_PROPERTY + " under [properties] in atrium.toml");
        }
        server = started;
    }

    /** The port metrics are served on, or -1 when the address was taken. */
    public int port() {
        return server == null ? -1 : server.getPort();
    }

    public void record(String method, String sandboxer, String code, long nanos) {
        calls.labelValues(method, sandboxer, code).inc();
        latency.labelValues(method, sandboxer).observe(nanos / 1e9);
    }

    @Deactivate
    void deactivate() {
        if (server != null) {
            server.close();
        }
    }
}
