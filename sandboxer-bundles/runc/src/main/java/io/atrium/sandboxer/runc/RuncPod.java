package io.atrium.sandboxer.runc;

import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.sandboxer.ociruntime.OciPod;
import io.atrium.sandboxer.ociruntime.StateStore;
import io.atrium.sandboxer.runc.PersistedPod.PersistedContainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One pod: pinned IPC/UTS namespaces, the engine's network namespace, a pod cgroup, its files and
 * its containers. No process represents it.
 *
 * <p>State diagram: {@code CREATED -start-> READY -stop-> STOPPED}; a pod re-adopted without its
 * namespace pins (the node rebooted) is {@code NOT_READY}. {@code shutdown} removes it from any state.
 */
final class RuncPod extends OciPod<RuncContainer> {
    private final PersistedPod base; // identity and layout; never changes after create
    private final StateStore<PersistedPod> store;
    private volatile PinnedNamespaces pins;

    RuncPod(PersistedPod base, StateStore<PersistedPod> store) {
        super(base.id(), Path.of(base.runDir()), base.state(), base.stoppedAt());
        this.base = base;
        this.store = store;
    }

    PersistedPod base() {
        return base;
    }

    /** The pod's /dev/shm: a tmpfs of its own, or the node's with host IPC. */
    Path shm() {
        return base.hostIpc() ? Path.of("/dev/shm") : runDir().resolve("shm");
    }

    @Override
    public String cgroup() {
        return base.cgroup();
    }

    String containerCgroup(String containerId) {
        return base.cgroup() + "/" + containerId;
    }

    PinnedNamespaces pins() {
        return pins;
    }

    void pins(PinnedNamespaces p) {
        this.pins = p;
    }

    @Override
    protected void save() {
        List<PersistedContainer> cs = new ArrayList<>();
        containers().values().forEach(c -> cs.add(c.persisted()));
        store.save(base.id(), new PersistedPod(base.id(), base.name(), base.namespace(), base.hostname(), base.createdAt(),
                state(), stoppedAt(), base.netnsPath(), base.hostNetwork(), base.hostIpc(), base.cgroup(), base.ownsCgroup(),
                base.runDir(), base.sysctls(), cs));
    }
}
