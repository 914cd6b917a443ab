package io.atrium.oci.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Null-preserving defensive copies: null stays absent, anything else becomes unmodifiable. */
final class Copies {
    private Copies() {}

    static <T> List<T> list(List<T> in) {
        return in == null ? null : List.copyOf(in);
    }

    /** Keeps insertion order (config.json readers and diff tools like stable output). */
    static <K, V> Map<K, V> map(Map<K, V> in) {
        return in == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(in));
    }
}
