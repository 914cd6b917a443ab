package io.atrium.sandbox.api;

import java.net.URI;

/** Where a sandbox's Task service lives: in this JVM, or behind a ttrpc address. */
public sealed interface TaskEndpoint {

    /** A Task service object in the node's own JVM. */
    record InProcess(TaskService service) implements TaskEndpoint {
    }

    /** A ttrpc endpoint such as {@code ttrpc+unix:///run/...} or {@code ttrpc+vsock://3:1024}. */
    record Remote(URI address) implements TaskEndpoint {
    }
}
