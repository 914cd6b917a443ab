package com.example.atrium.process;

import io.atrium.sandbox.api.SandboxState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What is persisted about one pod, as one immutable value: changes produce a new record that is
 * written to disk before it replaces the old one.
 *
 * @param createdBy bundle version that created the pod (shown in status, useful after upgrades)
 * @param stoppedAt when the pod was stopped, or null
 */
record PodRecord(String id, String name, String namespace, String createdBy, Instant createdAt, SandboxState state,
        Instant stoppedAt, Map<String, ContainerRecord> containers) {

    PodRecord {
        containers = Map.copyOf(containers);
    }

    PodRecord withState(SandboxState next, Instant stopped) {
        return new PodRecord(id, name, namespace, createdBy, createdAt, next, stopped, containers);
    }

    PodRecord withContainer(ContainerRecord c) {
        Map<String, ContainerRecord> next = new LinkedHashMap<>(containers);
        next.put(c.id(), c);
        return new PodRecord(id, name, namespace, createdBy, createdAt, state, stoppedAt, next);
    }

    PodRecord withoutContainer(String containerId) {
        Map<String, ContainerRecord> next = new LinkedHashMap<>(containers);
        next.remove(containerId);
        return new PodRecord(id, name, namespace, createdBy, createdAt, state, stoppedAt, next);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", StateStore.FORMAT);
        m.put("id", id);
        m.put("name", name);
        m.put("namespace", namespace);
        m.put("createdBy", createdBy);
        m.put("createdAt", createdAt.toString());
        m.put("state", state.name());
        m.put("stoppedAt", stoppedAt == null ? null : stoppedAt.toString());
        List<Object> list = new ArrayList<>();
        containers.values().forEach(c -> list.add(c.toJson()));
        m.put("containers", list);
        return m;
    }

    static PodRecord fromJson(Map<String, Object> m) {
        Map<String, ContainerRecord> containers = new LinkedHashMap<>();
        Object list = m.get("containers");
        if (list instanceof List<?> l) {
            for (Object o : l) {
                ContainerRecord c = ContainerRecord.fromJson(Json.object(o, "containers[]"));
                containers.put(c.id(), c);
            }
        }
        String stopped = Json.string(m, "stoppedAt", null);
        return new PodRecord(Json.string(m, "id", ""), Json.string(m, "name", ""), Json.string(m, "namespace", ""),
                Json.string(m, "createdBy", ""), Instant.parse(Json.string(m, "createdAt", Instant.EPOCH.toString())),
                SandboxState.valueOf(Json.string(m, "state", SandboxState.UNKNOWN.name())),
                stopped == null ? null : Instant.parse(stopped), containers);
    }
}
