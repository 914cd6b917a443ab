package io.atrium.sandboxer.runc;

import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandboxer.ociruntime.StateStore;
import io.atrium.sandboxer.runc.PersistedPod.PersistedContainer;
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
 * One pod: pinned IPC/UTS namespaces, the engine's network namespace, a pod cgroup, its files and
 * its containers. No process represents it.
 *
 * <p>State diagram: {@code CREATED -start-> READY -stop-> STOPPED}; a pod re-adopted without its
 * namespace pins (the node rebooted) is {@code NOT_READY}. {@code shutdown} removes it from any state.
 */
final class RuncPod {
    private static final Logger LOG = Logger.getLogger(RuncPod.class.getName());

    private final PersistedPod base; // identity and layout; never changes after create
    private final StateStore<PersistedPod> store;
    private final Map<String, RuncContainer> containers = new ConcurrentHashMap<>();
    private final List<TaskEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private volatile PinnedNamespaces pins;
    private volatile SandboxState state;
    private volatile Instant stoppedAt;

    RuncPod(PersistedPod base, StateStore<PersistedPod> store) {
        this.base = base;
        this.store = store;
        this.state = base.state();
        this.stoppedAt = base.stoppedAt();
        if (stoppedAt != null) {
            exited.complete(ExitStatus.of(0, stoppedAt));
        }
    }

    String id() {
        return base.id();
    }

    PersistedPod base() {
        return base;
    }

    Path runDir() {
        return Path.of(base.runDir());
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

    /** The pod's /dev/shm: a tmpfs of its own, or the node's with host IPC. */
    Path shm() {
        return base.hostIpc() ? Path.of("/dev/shm") : runDir().resolve("shm");
    }

    String cgroup() {
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

    SandboxState state() {
        return state;
    }

    Instant stoppedAt() {
        return stoppedAt;
    }

    Map<String, RuncContainer> containers() {
        return containers;
    }

    RuncContainer container(String id) {
        RuncContainer c = id == null ? null : containers.get(id);
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
        store.save(base.id(), new PersistedPod(base.id(), base.name(), base.namespace(), base.hostname(), base.createdAt(), state,
                stoppedAt, base.netnsPath(), base.hostNetwork(), base.hostIpc(), base.cgroup(), base.ownsCgroup(),
                base.runDir(), base.sysctls(), cs));
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
