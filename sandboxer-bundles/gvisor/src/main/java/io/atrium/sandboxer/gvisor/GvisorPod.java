package io.atrium.sandboxer.gvisor;

import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedContainer;
import io.atrium.sandboxer.ociruntime.OciPod;
import io.atrium.sandboxer.ociruntime.StateStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One pod: a gVisor sandbox (runsc container {@link #id()} running {@code /pause} as its root process) in
 * the engine's network namespace and the pod cgroup, plus the app containers added to it. The pod id is
 * also the sandbox's runsc container id and its {@code io.kubernetes.cri.sandbox-id}.
 *
 * <p>State diagram: {@code CREATED -start-> READY -stop-> STOPPED}; a sandbox that died on its own
 * (killed, OOM, node reboot) makes the pod {@code NOT_READY}. {@code shutdown} removes it from any state.
 */
final class GvisorPod extends OciPod<GvisorContainer> {
    private final PersistedGvisorPod base; // identity and layout; never changes after create
    private final StateStore<PersistedGvisorPod> store;
    private volatile int sandboxPid;

    GvisorPod(PersistedGvisorPod base, StateStore<PersistedGvisorPod> store) {
        super(base.id(), Path.of(base.runDir()), base.state(), base.stoppedAt());
        this.base = base;
        this.store = store;
    }

    PersistedGvisorPod base() {
        return base;
    }

    /** The sandbox root container's OCI bundle. */
    Path sandboxBundle() {
        return runDir().resolve("sandbox");
    }

    Path containersDir() {
        return runDir().resolve("containers");
    }

    @Override
    public String cgroup() {
        return base.cgroup();
    }

    /** Host pid of the runsc-sandbox process (gVisor's kernel), 0 while none runs. */
    int sandboxPid() {
        return sandboxPid;
    }

    void sandboxPid(int pid) {
        this.sandboxPid = pid;
    }

    @Override
    protected void save() {
        List<PersistedContainer> cs = new ArrayList<>();
        containers().values().forEach(c -> cs.add(c.persisted()));
        store.save(base.id(), new PersistedGvisorPod(base.id(), base.name(), base.namespace(), base.hostname(),
                base.createdAt(), state(), stoppedAt(), base.netnsPath(), base.cgroup(), base.runDir(), cs));
    }
}
