package io.atrium.engine.images.registry;

import io.atrium.image.api.ImageException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the node reaches registries.
 *
 * @param mirrors per registry host, endpoint URLs tried before it, in order ({@code http://127.0.0.1:5000});
 *        an endpoint with an empty path serves the distribution API at {@code /v2}, otherwise at its path
 * @param insecure registry hosts (with port if any) reached over plain HTTP; loopback hosts always are
 * @param caFiles PEM files of extra certificate authorities, trusted besides the system's
 * @param mirrorFallback whether the origin is tried after every mirror failed
 * @param maxConcurrentDownloads layer downloads running at once for the whole node
 * @param attempts tries per request before a transient failure is reported
 * @param retryBackoff wait before the second try; doubles after each
 * @param connectTimeout how long a connection may take
 * @param stallTimeout how long a response may send nothing (headers or body) before it is abandoned
 */
public record RegistryConfig(Map<String, List<URI>> mirrors, Set<String> insecure, List<Path> caFiles,
        boolean mirrorFallback, int maxConcurrentDownloads, int attempts, Duration retryBackoff,
        Duration connectTimeout, Duration stallTimeout) {

    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);
    public static final RegistryConfig DEFAULTS = new RegistryConfig(Map.of(), Set.of(), List.of(), true, 3, 4,
            Duration.ofMillis(500), Duration.ofSeconds(15), DEFAULT_STALL_TIMEOUT);

    /** The form without a stall timeout, which then defaults to {@link #DEFAULT_STALL_TIMEOUT}. */
    public RegistryConfig(Map<String, List<URI>> mirrors, Set<String> insecure, List<Path> caFiles, boolean mirrorFallback,
            int maxConcurrentDownloads, int attempts, Duration retryBackoff, Duration connectTimeout) {
        this(mirrors, insecure, caFiles, mirrorFallback, maxConcurrentDownloads, attempts, retryBackoff, connectTimeout,
                DEFAULT_STALL_TIMEOUT);
    }

    public RegistryConfig {
        mirrors = Map.copyOf(mirrors);
        insecure = Set.copyOf(insecure);
        caFiles = List.copyOf(caFiles);
        if (maxConcurrentDownloads < 1 || attempts < 1) {
            throw new IllegalArgumentException("maxConcurrentDownloads and attempts must be at least 1");
        }
    }

    /** Parses {@code host=url} entries; several entries for one host keep their order. */
    public static Map<String, List<URI>> parseMirrors(String[] entries) {
        Map<String, List<URI>> out = new LinkedHashMap<>();
        for (String entry : entries == null ? new String[0] : entries) {
            if (entry == null || entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw ImageException.invalid("mirror entry '" + entry + "' is not host=url");
            }
            String host = entry.substring(0, eq).trim();
            for (String url : entry.substring(eq + 1).split(",")) {
                URI uri = URI.create(url.trim());
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw ImageException.invalid("mirror '" + url + "' for " + host + " is not an http(s) URL");
                }
                out.computeIfAbsent(host, h -> new ArrayList<>()).add(uri);
            }
        }
        return out;
    }

    public RegistryConfig withMirrors(Map<String, List<URI>> newMirrors, boolean fallback) {
        return new RegistryConfig(newMirrors, insecure, caFiles, fallback, maxConcurrentDownloads, attempts, retryBackoff,
                connectTimeout, stallTimeout);
    }

    public RegistryConfig withStallTimeout(Duration timeout) {
        return new RegistryConfig(mirrors, insecure, caFiles, mirrorFallback, maxConcurrentDownloads, attempts, retryBackoff,
                connectTimeout, timeout);
    }
}
