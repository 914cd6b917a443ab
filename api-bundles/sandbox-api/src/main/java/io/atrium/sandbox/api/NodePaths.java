package io.atrium.sandbox.api;

import java.nio.file.Path;

/**
 * Where the node keeps things. The host publishes both roots as framework properties
 * ({@value #ROOT_PROPERTY}, {@value #STATE_PROPERTY}) so every bundle agrees on them.
 *
 * @param root persistent data (survives reboot), default /var/lib/atrium
 * @param state runtime data (sockets, pinned namespaces), default /run/atrium
 */
public record NodePaths(Path root, Path state) {
    public static final String ROOT_PROPERTY = "atrium.root";
    public static final String STATE_PROPERTY = "atrium.state";

    /** Persistent directory reserved for one sandboxer's re-adoption state. */
    public Path sandboxerState(String sandboxerName) {
        return root.resolve("sandboxers").resolve(sandboxerName);
    }

    /** Runtime directory reserved for one sandboxer (sockets, namespace pins). */
    public Path sandboxerRun(String sandboxerName) {
        return state.resolve("sandboxers").resolve(sandboxerName);
    }
}
