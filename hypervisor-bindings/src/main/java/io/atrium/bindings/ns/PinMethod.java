package io.atrium.bindings.ns;

/** How {@link PodNamespaces} creates and pins namespaces. */
public enum PinMethod {
    /** unshare(2) and bind mounts from a discarded JVM thread; no process is started. */
    THREAD,
    /** util-linux {@code unshare --net=FILE --ipc=FILE --uts=FILE true}, the way CRI-O's pinns does. */
    UNSHARE_TOOL
}
