package com.example.atrium.process;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of an OCI runtime spec a plain process can honour: what to run, with which
 * environment, where, as whom, and in which root. Namespaces, cgroups, seccomp and spec mounts
 * are ignored: this sandboxer isolates nothing beyond the changed root.
 *
 * @param rootPath absolute root directory from {@code root.path}; empty when the rootfs comes
 *     from {@code CreateTask.rootfs} mounts instead
 */
record LaunchSpec(List<String> args, List<String> env, String cwd, long uid, long gid, String rootPath) {

    LaunchSpec {
        args = List.copyOf(args);
        env = List.copyOf(env);
    }

    /** Reads an OCI config.json; refuses what a plain process cannot do with a clear reason. */
    static LaunchSpec fromOciSpec(String containerId, String ociSpecJson) {
        Map<String, Object> spec;
        try {
            spec = Json.object(Json.parse(ociSpecJson), "the OCI spec");
            Map<String, Object> process = Json.object(spec.get("process"), "process");
            if (Boolean.TRUE.equals(process.get("terminal"))) {
                throw new SandboxException(Reason.UNIMPLEMENTED, "container " + containerId
                        + " asks for a terminal; the process sandboxer gives no TTY (run it without tty: true)");
            }
            List<String> args = Json.strings(process.get("args"), "process.args");
            if (args.isEmpty()) {
                throw SandboxException.invalid("container " + containerId + ": the OCI spec has no process.args");
            }
            String cwd = Json.string(process, "cwd", "/");
            if (!cwd.startsWith("/")) {
                throw SandboxException.invalid("container " + containerId + ": process.cwd must be absolute, got " + cwd);
            }
            Map<String, Object> user = process.get("user") == null ? Map.of() : Json.object(process.get("user"), "process.user");
            Map<String, Object> root = spec.get("root") == null ? Map.of() : Json.object(spec.get("root"), "root");
            return new LaunchSpec(args, Json.strings(process.get("env"), "process.env"), cwd,
                    Json.number(user, "uid", 0), Json.number(user, "gid", 0), Json.string(root, "path", ""));
        } catch (IllegalArgumentException e) {
            throw SandboxException.invalid("container " + containerId + ": unusable OCI spec: " + e.getMessage());
        }
    }

    /** The environment as a map, later entries winning like execve's reader would see them. */
    Map<String, String> environment() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq > 0) {
                m.put(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        return m;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("args", args);
        m.put("env", env);
        m.put("cwd", cwd);
        m.put("uid", uid);
        m.put("gid", gid);
        m.put("rootPath", rootPath);
        return m;
    }

    static LaunchSpec fromJson(Map<String, Object> m) {
        return new LaunchSpec(Json.strings(m.get("args"), "args"), Json.strings(m.get("env"), "env"),
                Json.string(m, "cwd", "/"), Json.number(m, "uid", 0), Json.number(m, "gid", 0), Json.string(m, "rootPath", ""));
    }
}
