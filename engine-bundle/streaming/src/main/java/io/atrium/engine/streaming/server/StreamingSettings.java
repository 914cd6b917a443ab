package io.atrium.engine.streaming.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * The streaming server's settings, from OSGi framework properties ({@code [properties]} in
 * {@code conf/atrium.toml}). A bad value stops the component with a message naming the property.
 *
 * @param address where to listen; port 0 picks a free port (the default, as containerd's)
 * @param tlsCert PEM certificate chain; with {@code tlsKey} the server speaks TLS and its URLs are https
 * @param tlsKey PEM private key (PKCS#8)
 * @param tokenTtl how long an unused URL stays valid
 * @param streamCreationTimeout how long a SPDY client may take to open its streams
 * @param idleTimeout a connection with no traffic either way for this long is closed
 */
record StreamingSettings(InetSocketAddress address, Path tlsCert, Path tlsKey, Duration tokenTtl,
        Duration streamCreationTimeout, Duration idleTimeout) {

    static final String ADDRESS = "atrium.streaming.address";
    static final String TLS_CERT = "atrium.streaming.tls.cert";
    static final String TLS_KEY = "atrium.streaming.tls.key";
    static final String TOKEN_TTL = "atrium.streaming.token.ttl.seconds";
    static final String CREATION_TIMEOUT = "atrium.streaming.stream.creation.timeout.seconds";
    static final String IDLE_TIMEOUT = "atrium.streaming.idle.timeout.seconds";

    static StreamingSettings from(Function<String, String> properties) {
        InetSocketAddress address = address(value(properties, ADDRESS, "127.0.0.1:0"));
        String cert = value(properties, TLS_CERT, "");
        String key = value(properties, TLS_KEY, "");
        if (cert.isEmpty() != key.isEmpty()) {
            throw new IllegalArgumentException(TLS_CERT + " and " + TLS_KEY + " must be set together");
        }
        return new StreamingSettings(address, cert.isEmpty() ? null : Path.of(cert), key.isEmpty() ? null : Path.of(key),
                seconds(properties, TOKEN_TTL, 60), seconds(properties, CREATION_TIMEOUT, 30),
                seconds(properties, IDLE_TIMEOUT, 4 * 3600));
    }

    boolean tls() {
        return tlsCert != null;
    }

    private static String value(Function<String, String> properties, String key, String fallback) {
        String v = properties.apply(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static Duration seconds(Function<String, String> properties, String key, long fallback) {
        String v = value(properties, key, Long.toString(fallback));
        try {
            long s = Long.parseLong(v);
            if (s <= 0) {
                throw new IllegalArgumentException(key + " must be positive, got " + v);
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number of seconds, got '" + v + "'");
        }
    }

    /** {@code host:port}, {@code [v6]:port}, or a bare host (port 0). */
    static InetSocketAddress address(String v) {
        String host = v;
        int port = 0;
        int colon = v.lastIndexOf(':');
        if (v.startsWith("[")) {
            int end = v.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException(ADDRESS + " '" + v + "' has an unclosed '['");
            }
            host = v.substring(1, end);
            if (end + 1 < v.length()) {
                if (v.charAt(end + 1) != ':') {
                    throw new IllegalArgumentException(ADDRESS + " '" + v + "' is not [host]:port");
                }
                port = port(v.substring(end + 2), v);
            }
        } else if (colon >= 0 && v.indexOf(':') == colon) {
            host = v.substring(0, colon);
            port = port(v.substring(colon + 1), v);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException(ADDRESS + " '" + v + "' names no host");
        }
        return new InetSocketAddress(host, port);
    }

    private static int port(String s, String whole) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ADDRESS + " '" + whole + "' has no valid port");
        }
    }
}
