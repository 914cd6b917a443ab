package io.atrium.engine.images.oci;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * This node's platform and how an index entry is matched against it, variant aware: an exact
 * variant wins over an entry without one; amd64 accepts v1 and v2 (what any x86-64 server runs),
 * arm64 accepts v8.
 */
public record Platforms(String os, String architecture, String variant) {

    /** WASI preview 1 modules ({@code wasi/wasm}), what the wasm handler runs. */
    public static final Platforms WASM = new Platforms("wasi", "wasm", "");

    /**
     * The default preference of a pull: this node's platform, and only when the index has no entry
     * for it, {@code wasi/wasm} (kubelet pulls before it knows the pod's runtime handler).
     */
    public static List<Platforms> defaults() {
        return List.of(host(), WASM);
    }

    /** {@code os/architecture[/variant]}. */
    public static Platforms parse(String platform) {
        String[] p = platform.trim().toLowerCase(Locale.ROOT).split("/", -1);
        if (p.length < 2 || p.length > 3 || java.util.Arrays.stream(p).anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("platform '" + platform + "' is not os/architecture[/variant]");
        }
        return new Platforms(p[0], p[1], p.length == 3 ? p[2] : "");
    }

    /** The entry of the first platform in {@code preference} that {@code manifests} has one for. */
    public static Optional<Descriptor> select(List<Platforms> preference, List<Descriptor> manifests) {
        for (Platforms p : preference) {
            Optional<Descriptor> d = p.select(manifests);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    /** How an error names a preference: {@code linux/amd64 or wasi/wasm}. */
    public static String describe(List<Platforms> preference) {
        return String.join(" or ", preference.stream().map(Platforms::toString).toList());
    }

    public static Platforms host() {
        String arch = System.getProperty("os.arch", "amd64").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "aarch64", "arm64" -> new Platforms("linux", "arm64", "v8");
            default -> new Platforms("linux", "amd64", "");
        };
    }

    public Optional<Descriptor> select(List<Descriptor> manifests) {
        Descriptor best = null;
        int bestRank = 0;
        for (Descriptor d : manifests) {
            int r = rank(d.platform());
            if (r > bestRank) {
                best = d;
                bestRank = r;
            }
        }
        return Optional.ofNullable(best);
    }

    /** 0 = unusable, higher = better. */
    int rank(Descriptor.Platform p) {
        if (p == null || !os.equals(p.os()) || !architecture.equals(p.architecture())) {
            return 0;
        }
        String v = p.variant() == null ? "" : p.variant();
        if (v.equals(variant)) {
            return 3;
        }
        if (v.isEmpty()) {
            return 2;
        }
        return compatibleVariant(v) ? 1 : 0;
    }

    private boolean compatibleVariant(String v) {
        return switch (architecture) {
            case "amd64" -> v.equals("v1") || v.equals("v2");
            case "arm64" -> v.equals("v8");
            default -> false;
        };
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
    }
}
