package io.atrium.ttrpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-call settings: a timeout (sent as {@code timeout_nano} and enforced by the client too;
 * null means none) and request metadata.
 */
public record CallOptions(Duration timeout, Map<String, List<String>> metadata) {

    public static final CallOptions NONE = new CallOptions(null, Map.of());

    public CallOptions {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        Map<String, List<String>> copy = new LinkedHashMap<>();
        metadata.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        metadata = Map.copyOf(copy);
    }

    /** A timeout; null or zero means none. */
    public static CallOptions timeout(Duration timeout) {
        return timeout == null || timeout.isZero() ? NONE : new CallOptions(timeout, Map.of());
    }

    public CallOptions withMetadata(String key, String value) {
        Map<String, List<String>> copy = new LinkedHashMap<>(metadata);
        List<String> values = new ArrayList<>(copy.getOrDefault(key, List.of()));
        values.add(value);
        copy.put(key, values);
        return new CallOptions(timeout, copy);
    }
}
