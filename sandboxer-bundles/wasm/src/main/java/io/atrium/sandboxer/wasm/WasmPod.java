package io.atrium.sandboxer.wasm;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.SandboxStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Wasm pod: only a record and the place its containers' mounts live. No process, no namespace,
 * no pause container — the containers are threads of the node JVM.
 */
final class WasmPod {
    private final String id;
    private final String name;
    private final String namespace;
    private final String uid;
    private final Instant createdAt;
    private final PodTasks tasks;
    private final PodStore store;
    private SandboxState state;
    private Instant stoppedAt;

    WasmPod(String id, String name, String namespace, String uid, Instant createdAt, SandboxState state,
            Instant stoppedAt, WasmEnvironment env) {
        this.id = id;
        this.name = name;
        this.namespace = namespace;
        this.uid = uid;
        this.createdAt = createdAt;
        this.state = state;
        this.stoppedAt = stoppedAt;
        this.store = env.store();
        this.tasks = new PodTasks(this, env);
    }

    String id() {
        return id;
    }

    Instant createdAt() {
        return createdAt;
    }

    PodTasks tasks() {
        return tasks;
    }

    synchronized SandboxState state() {
        return state;
    }

    synchronized void state(SandboxState s, Instant at) {
        state = s;
        if (s == SandboxState.STOPPED && stoppedAt == null) {
            stoppedAt = at;
        }
        persist();
    }

    synchronized SandboxStatus status(Map<String, String> info) {
        return new SandboxStatus(id, state, 0, createdAt, stoppedAt, info);
    }

    /** Writes the pod and all its containers; called after every change, before the call answers. */
    synchronized void persist() {
        Map<String, PodStore.ContainerRecord> containers = new LinkedHashMap<>();
        for (WasmContainer c : tasks.containers()) {
            ContainerState s = c.state();
            Instant started = s instanceof ContainerState.Running r ? r.startedAt()
                    : s instanceof ContainerState.Exited e ? e.startedAt() : null;
            ExitStatus exit = s instanceof ContainerState.Exited e ? e.exit() : null;
            containers.put(c.id(), new PodStore.ContainerRecord(c.id(), s.createdAt().toString(),
                    started == null ? null : started.toString(), exit == null ? null : exit.code(),
                    exit == null ? null : exit.signal(), exit == null ? null : exit.exitedAt().toString(),
                    exit == null ? null : exit.reason(), c.dir().toString()));
        }
        store.save(new PodStore.PodRecord(PodStore.FORMAT, id, name, namespace, uid, createdAt.toString(), state.name(),
                stoppedAt == null ? null : stoppedAt.toString(), containers));
    }
}
