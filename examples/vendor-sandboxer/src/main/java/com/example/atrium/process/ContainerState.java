package com.example.atrium.process;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.TaskStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lifecycle of one container's main process; each state carries what is known in it.
 *
 * <pre>
 *   Created ──start──► Running ──exit observed──► Exited ──delete──► (gone)
 *      └────────────────────────delete─────────────────────────────► (gone)
 * </pre>
 */
sealed interface ContainerState {

    TaskStatus status();

    default boolean canStart() {
        return this instanceof Created;
    }

    default boolean canDelete() {
        return !(this instanceof Running);
    }

    Map<String, Object> toJson();

    record Created() implements ContainerState {
        public TaskStatus status() {
            return TaskStatus.CREATED;
        }

        public Map<String, Object> toJson() {
            return Map.of("status", "created");
        }
    }

    /**
     * @param processStart the process's start time as the kernel reports it, so a re-adopting
     *     instance never mistakes a recycled pid for its container
     */
    record Running(long pid, Instant processStart) implements ContainerState {
        public TaskStatus status() {
            return TaskStatus.RUNNING;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", "running");
            m.put("pid", pid);
            m.put("processStart", processStart == null ? null : processStart.toString());
            return m;
        }
    }

    record Exited(long pid, ExitStatus exit) implements ContainerState {
        public TaskStatus status() {
            return TaskStatus.STOPPED;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", "exited");
            m.put("pid", pid);
            m.put("code", exit.code());
            m.put("signal", exit.signal());
            m.put("exitedAt", exit.exitedAt().toString());
            m.put("reason", exit.reason());
            return m;
        }
    }

    static ContainerState fromJson(Map<String, Object> m) {
        String status = Json.string(m, "status", "");
        switch (status) {
            case "created":
                return new Created();
            case "running":
                String start = Json.string(m, "processStart", null);
                return new Running(Json.number(m, "pid", 0), start == null ? null : Instant.parse(start));
            case "exited":
                return new Exited(Json.number(m, "pid", 0), new ExitStatus((int) Json.number(m, "code", ExitStatus.UNKNOWN_CODE),
                        (int) Json.number(m, "signal", 0), Instant.parse(Json.string(m, "exitedAt", Instant.EPOCH.toString())),
                        Json.string(m, "reason", "")));
            default:
                throw new IllegalArgumentException("unknown container status '" + status + "'");
        }
    }
}
