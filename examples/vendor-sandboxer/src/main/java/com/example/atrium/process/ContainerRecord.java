package com.example.atrium.process;

import io.atrium.sandbox.api.Mount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What is persisted about one container: enough to start it, re-adopt it and clean it up.
 *
 * @param root the directory the process is chrooted into
 * @param rootfsMounts mounts this sandboxer made at {@code root} and must undo on delete
 * @param criLog the CRI log file, or null when output is discarded
 */
record ContainerRecord(String id, LaunchSpec launch, Path root, List<Mount> rootfsMounts, Path criLog,
        ContainerState state) {

    ContainerRecord {
        rootfsMounts = List.copyOf(rootfsMounts);
    }

    ContainerRecord withState(ContainerState next) {
        return new ContainerRecord(id, launch, root, rootfsMounts, criLog, next);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("launch", launch.toJson());
        m.put("root", root.toString());
        List<Object> mounts = new ArrayList<>();
        for (Mount mt : rootfsMounts) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("type", mt.type());
            j.put("source", mt.source());
            j.put("target", mt.target());
            j.put("options", mt.options());
            mounts.add(j);
        }
        m.put("rootfsMounts", mounts);
        m.put("criLog", criLog == null ? null : criLog.toString());
        m.put("state", state.toJson());
        return m;
    }

    static ContainerRecord fromJson(Map<String, Object> m) {
        List<Mount> mounts = new ArrayList<>();
        Object list = m.get("rootfsMounts");
        if (list instanceof List<?> l) {
            for (Object o : l) {
                Map<String, Object> j = Json.object(o, "rootfsMounts[]");
                mounts.add(new Mount(Json.string(j, "type", ""), Json.string(j, "source", ""), Json.string(j, "target", ""),
                        Json.strings(j.get("options"), "options")));
            }
        }
        String log = Json.string(m, "criLog", null);
        return new ContainerRecord(Json.string(m, "id", ""), LaunchSpec.fromJson(Json.object(m.get("launch"), "launch")),
                Path.of(Json.string(m, "root", "/")), mounts, log == null ? null : Path.of(log),
                ContainerState.fromJson(Json.object(m.get("state"), "state")));
    }
}
