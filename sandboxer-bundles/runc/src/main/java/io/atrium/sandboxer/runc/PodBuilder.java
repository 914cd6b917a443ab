package io.atrium.sandboxer.runc;

import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandboxer.ociruntime.PodFiles;
import io.atrium.sandboxer.ociruntime.ResourcesJson;
import io.atrium.sandboxer.ociruntime.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Builds what a pod is made of — pinned IPC and UTS namespaces (with the pod's hostname), a pod cgroup,
 * its /etc files and a /dev/shm tmpfs — and tears it all down again. The network namespace is the
 * engine's; the pod only joins it.
 */
final class PodBuilder {
    private final RuncEnvironment env;

    PodBuilder(RuncEnvironment env) {
        this.env = env;
    }

    /** Builds the pod; on failure the caller tears down whatever exists (teardown is idempotent). */
    void build(RuncPod pod, SandboxSpec spec) throws IOException {
        PersistedPod b = pod.base();
        Files.createDirectories(pod.runDir());
        PodFiles.write(pod, b.hostNetwork(), spec.dns(), b.hostname());
        if (!b.hostIpc()) {
            Files.createDirectories(pod.shm());
            env.mounts().tmpfs(pod.shm(), "mode=1777,size=" + env.settings().shmSizeBytes());
        }
        Set<NamespaceType> own = EnumSet.noneOf(NamespaceType.class);
        if (!b.hostIpc()) {
            own.add(NamespaceType.IPC);
        }
        if (!b.hostNetwork()) {
            own.add(NamespaceType.UTS);
        }
        if (!own.isEmpty()) {
            PinnedNamespaces pins = env.namespaces().pin(pod.id(), own);
            pod.pins(pins);
            if (own.contains(NamespaceType.UTS)) {
                env.namespaces().setHostname(pins, b.hostname());
            }
        }
        env.cgroups().controller().create(pod.cgroup());
        if (spec.resources() != null && !spec.resources().equals(Resources.NONE)) {
            env.cgroups().controller().apply(pod.cgroup(), ResourcesJson.toCgroup(spec.resources()));
        }
    }

    /** Namespace pins left by an earlier instance or node; empty after a reboot. */
    Optional<PinnedNamespaces> recoverPins(RuncPod pod) throws IOException {
        return env.namespaces().recover(pod.id());
    }

    /** Releases the cgroup, the pins, every mount under the pod's directory, and the directory. Idempotent. */
    void teardown(RuncPod pod) throws IOException {
        IOException first = null;
        try {
            env.cgroups().removeEverywhere(pod.cgroup());
        } catch (IOException e) {
            first = e;
        }
        try {
            PinnedNamespaces pins = pod.pins() != null ? pod.pins() : recoverPins(pod).orElse(null);
            if (pins != null) {
                env.namespaces().release(pins);
                pod.pins(null);
            }
        } catch (IOException e) {
            first = add(first, e);
        }
        try {
            env.rootfs().unmount(pod.runDir()); // the shm tmpfs and any rootfs a crash left mounted
            Trees.deleteTree(pod.runDir());
        } catch (IOException | RuntimeException e) {
            first = add(first, e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        }
        if (first != null) {
            throw first;
        }
    }

    private static IOException add(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
