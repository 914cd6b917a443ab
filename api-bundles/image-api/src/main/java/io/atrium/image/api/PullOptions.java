package io.atrium.image.api;

import java.util.List;
import java.util.Objects;

/**
 * How a pull chooses among the entries of an OCI image index.
 *
 * @param platforms platforms in order of preference, each {@code os/architecture[/variant]}
 *     (e.g. {@code linux/amd64}, {@code wasi/wasm}); the first one the index has an entry for wins.
 *     Empty means the node's default rule: the node's own platform, then {@code wasi/wasm}.
 *     A single-manifest image is accepted whatever its config's platform is.
 */
public record PullOptions(List<String> platforms) {

    /** The node's default rule. */
    public static final PullOptions DEFAULT = new PullOptions(List.of());

    public PullOptions {
        platforms = List.copyOf(Objects.requireNonNull(platforms, "platforms"));
        for (String p : platforms) {
            String[] parts = p.split("/", -1);
            if (parts.length < 2 || parts.length > 3 || java.util.Arrays.stream(parts).anyMatch(String::isBlank)) {
                throw new IllegalArgumentException("platform '" + p + "' is not os/architecture[/variant]");
            }
        }
    }

    /** Only these platforms, in this order. */
    public static PullOptions platforms(String... platforms) {
        return new PullOptions(List.of(platforms));
    }
}
