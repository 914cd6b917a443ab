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
