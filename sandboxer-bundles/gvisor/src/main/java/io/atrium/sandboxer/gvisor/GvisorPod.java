package io.atrium.sandboxer.gvisor;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedContainer;
import io.atrium.sandboxer.ociruntime.StateStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One pod: a gVisor sandbox (runsc container {@link #id()} running {@code /pause} as its root process) in
 * the engine's network namespace and the pod cgroup, plus the app containers added to it.
 *
 * <p>State diagram: {@code CREATED -start-> READY -stop-> STOPPED}; a sandbox that died on its own
 * (killed, OOM, node reboot) makes the pod {@code NOT_READY}. {@code shutdown} removes it from any state.
 */
final class GvisorPod {
    private static final Logger LOG = Logger.getLogger(GvisorPod.class.getName());

    private final PersistedGvisorPod base; // identity and layout; never changes after create
    private final StateStore<PersistedGvisorPod> store;
    private final Map<String, GvisorContainer> containers = new ConcurrentHashMap<>();
    private final List<TaskEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private volatile SandboxState state;
    private volatile Instant stoppedAt;
    private volatile int sandboxPid;

    GvisorPod(PersistedGvisorPod base, StateStore<PersistedGvisorPod> store) {
        this.base = base;
        this.store = store;
        this.state = base.state();
        this.stoppedAt = base.stoppedAt();
        if (stoppedAt != null) {
            exited.complete(ExitStatus.of(0, stoppedAt));
        }
    }

    /** The pod id, which is also the sandbox's runsc container id and its {@code io.kubernetes.cri.sandbox-id}. */
    String id() {
        return base.id();
    }

    PersistedGvisorPod base() {
        return base;
    }

    Path runDir() {
        return Path.of(base.runDir());
    }

    /** The sandbox root container's OCI bundle. */
    Path sandboxBundle() {
        return runDir().resolve("sandbox");
    }

    Path containersDir() {
        return runDir().resolve("containers");
    }

    Path hostsFile() {
        return runDir().resolve("hosts");
    }

    Path resolvConf() {
        return runDir().resolve("resolv.conf");
    }

    Path hostnameFile() {
        return runDir().resolve("hostname");
    }

    String cgroup() {
        return base.cgroup();
    }

    SandboxState state() {
        return state;
    }

    Instant stoppedAt() {
        return stoppedAt;
    }

    /** Host pid of the runsc-sandbox process (gVisor's kernel), 0 while none runs. */
    int sandboxPid() {
        return sandboxPid;
    }

    void sandboxPid(int pid) {
        this.sandboxPid = pid;
    }

    Map<String, GvisorContainer> containers() {
        return containers;
    }

    GvisorContainer container(String id) {
        GvisorContainer c = id == null ? null : containers.get(id);
        if (c == null) {
            throw SandboxException.notFound("container", id + " in pod " + base.id());
        }
        return c;
    }

    CompletableFuture<ExitStatus> exitFuture() {
        return exited;
    }

    synchronized void state(SandboxState s) {
        this.state = s;
        persist();
    }

    synchronized void stopped(Instant at) {
        this.state = SandboxState.STOPPED;
        this.stoppedAt = at;
        persist();
        exited.complete(ExitStatus.of(0, at));
    }

    /** Writes the pod and all its containers atomically. */
    synchronized void persist() {
        List<PersistedContainer> cs = new ArrayList<>();
        containers.values().forEach(c -> cs.add(c.persisted()));
        store.save(base.id(), new PersistedGvisorPod(base.id(), base.name(), base.namespace(), base.hostname(),
                base.createdAt(), state, stoppedAt, base.netnsPath(), base.cgroup(), base.runDir(), cs));
    }

    AutoCloseable subscribe(TaskEventListener l) {
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    void publish(TaskEvent event) {
        for (TaskEventListener l : listeners) {
            try {
                l.onEvent(base.id(), event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task event listener failed for pod " + base.id(), e);
            }
        }
    }
}
