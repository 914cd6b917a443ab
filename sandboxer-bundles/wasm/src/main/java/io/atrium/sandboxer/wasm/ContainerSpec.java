package io.atrium.sandboxer.wasm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.oci.spec.Mount;
import io.atrium.oci.spec.Process;
import io.atrium.oci.spec.Spec;
import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Wasm container takes from the OCI runtime spec the engine built: the module and its
 * arguments, environment, working directory, the bind mounts that become WASI preopens, and the
 * memory limit. Linux-only parts (namespaces, capabilities, seccomp, proc/sysfs/dev mounts) have
 * no meaning for a WASI module and are ignored.
 *
 * @param args argv; {@code args[0]} names the {@code .wasm} file inside the rootfs
 * @param env environment in spec order
 * @param cwd working directory inside the container
 * @param rootPath the spec's root path (used when the engine passes no rootfs mounts)
 * @param readonlyRootfs whether the container may write to its rootfs
 * @param mounts bind mounts, in spec order
 * @param memoryLimitBytes linux.resources.memory.limit, 0 when unset
 * @param terminal whether the process asked for a TTY
 */
record ContainerSpec(List<String> args, Map<String, String> env, String cwd, String rootPath, boolean readonlyRootfs,
        List<BindMount> mounts, long memoryLimitBytes, boolean terminal) {

    /** A host directory or file shown to the module at {@code destination}. */
    record BindMount(String destination, String source, boolean readOnly) {
    }

    static ContainerSpec parse(ObjectMapper json, String containerId, String ociSpecJson) {
        Spec spec;
        try {
            spec = json.readValue(ociSpecJson, Spec.class);
        } catch (IOException e) {
            throw SandboxException.invalid("container " + containerId + ": unreadable OCI runtime spec: " + e.getMessage());
        }
        Process p = spec.process();
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw SandboxException.invalid("container " + containerId
                    + ": no command: the image's Entrypoint/Cmd or the CRI command must name a .wasm module");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : orEmpty(p.env())) {
            int eq = kv.indexOf('=');
            env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
        }
        List<BindMount> binds = new ArrayList<>();
        for (Mount m : orEmpty(spec.mounts())) {
            List<String> options = orEmpty(m.options());
            boolean bind = "bind".equals(m.type()) || options.contains("bind") || options.contains("rbind");
            if (bind && m.source() != null && m.destination() != null) {
                binds.add(new BindMount(m.destination(), m.source(), options.contains("ro")));
            }
        }
        long limit = 0;
        if (spec.linux() != null && spec.linux().resources() != null && spec.linux().resources().memory() != null
                && spec.linux().resources().memory().limit() != null) {
            limit = Math.max(0, spec.linux().resources().memory().limit());
        }
        boolean readonly = spec.root() != null && Boolean.TRUE.equals(spec.root().readonly());
        return new ContainerSpec(List.copyOf(p.args()), java.util.Collections.unmodifiableMap(env), p.cwd() == null || p.cwd().isBlank() ? "/" : p.cwd(),
                spec.root() == null ? null : spec.root().path(), readonly, List.copyOf(binds), limit,
                Boolean.TRUE.equals(p.terminal()));
    }

    /** The records keep absent JSON lists as null. */
    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    /** The module's path inside the rootfs, from args[0]. */
    String modulePath() {
        String m = args.get(0);
        return m.startsWith("/") ? m : (cwd.endsWith("/") ? cwd : cwd + "/") + m;
    }
}
