package io.atrium.bindings.ns;

import java.nio.file.Path;
import java.util.Map;

/**
 * A pod's namespaces kept alive by bind mounts of their nsfs files onto {@code files}, so they
 * outlive every process in them (no pause container).
 *
 * @param dir   the pod's directory under the state dir
 * @param files one pin file per namespace type
 */
public record PinnedNamespaces(String podId, Path dir, Map<NamespaceType, Path> files) {

    public PinnedNamespaces {
        files = Map.copyOf(files);
    }

    /** The pin file for {@code type}, e.g. for {@code ip netns exec}-style use with nsenter(1). */
    public Path path(NamespaceType type) {
        Path p = files.get(type);
        if (p == null) {
            throw new IllegalArgumentException(type + " is not pinned for pod " + podId);
        }
        return p;
    }
}
