package io.atrium.engine.runtime.network;

import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinMethod;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.bindings.ns.PodNamespaces;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Pod network namespaces pinned under {@code <state>/netns/<podId>/net}, so a pod keeps its
 * network with no process in it (no pause container) and across node restarts.
 */
public final class NetnsPins {
    private final PodNamespaces namespaces;

    public NetnsPins(Path stateDir) {
        Syscalls sys = new Syscalls();
        this.namespaces = new PodNamespaces(sys, new Mounts(sys), stateDir.resolve("netns"), PinMethod.THREAD);
    }

    public Path pin(String podId) throws IOException {
        return namespaces.pin(podId, Set.of(NamespaceType.NET)).path(NamespaceType.NET);
    }

    /** Unpins and deletes the pod's namespace files; nothing to do when none are pinned. */
    public void release(String podId) throws IOException {
        Optional<PinnedNamespaces> pinned = namespaces.recover(podId);
        if (pinned.isPresent()) {
            namespaces.release(pinned.get());
        }
    }
}
