package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandboxer.ociruntime.PodFiles;
import io.atrium.sandboxer.ociruntime.ResourcesJson;
import io.atrium.sandboxer.ociruntime.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a pod's gVisor sandbox — its files, the root container's bundle (the shared pause rootfs, the
 * engine's network namespace, the pod cgroup with the pod's limits) and the runsc sandbox itself — and
 * tears it all down again.
 */
final class SandboxBuilder {
    private final GvisorEnvironment env;

    SandboxBuilder(GvisorEnvironment env) {
        this.env = env;
    }

    /** Writes the pod's files and bundle and runs {@code runsc create}; the caller tears down on failure. */
    void create(GvisorPod pod, SandboxSpec spec) throws IOException {
        Files.createDirectories(pod.runDir());
        PodFiles.write(pod, false, spec.dns(), pod.base().hostname());
        Path bundle = Files.createDirectories(pod.sandboxBundle());
        Files.writeString(bundle.resolve("config.json"), rootSpec(pod, spec.resources(), spec.sysctls()).toString(),
                StandardCharsets.UTF_8);
        env.runsc().createSandbox(pod.id(), bundle);
        env.children().collect();
    }

    /** Starts the sandbox (its network comes up here) and returns the host pid of gVisor's kernel process. */
    int start(GvisorPod pod) {
        env.runsc().startSandbox(pod.id());
        env.children().collect();
        return env.runsc().cli().state(pod.id()).map(s -> s.pid()).orElse(0);
    }

    /** The root container: /pause from the shared read-only rootfs, in the pod's network namespace and cgroup. */
    ObjectNode rootSpec(GvisorPod pod, Resources resources, Map<String, String> sysctls) {
        ObjectNode spec = env.json().createObjectNode().put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process").put("terminal", false).put("cwd", "/").put("noNewPrivileges", true);
        process.putObject("user").put("uid", 0).put("gid", 0);
        process.putArray("args").add(PauseRootfs.PROGRAM);
        process.putArray("env").add("PATH=/");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : new String[] {"bounding", "effective", "permitted"}) {
            caps.putArray(set); // pause needs none
        }
        spec.putObject("root").put("path", env.settings().pauseRootfs().toString()).put("readonly", true);
        spec.put("hostname", pod.base().hostname());
        ArrayNode mounts = spec.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject().put("destination", "/dev").put("type", "tmpfs").put("source", "tmpfs");
        ObjectNode sys = mounts.addObject().put("destination", "/sys").put("type", "sysfs").put("source", "sysfs");
        sys.putArray("options").add("nosuid").add("noexec").add("nodev").add("ro");
        ObjectNode annotations = spec.putObject("annotations");
        annotations.put(GvisorSpecHook.CONTAINER_TYPE, "sandbox");
        annotations.put(GvisorSpecHook.SANDBOX_ID, pod.id());
        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : new String[] {"pid", "ipc", "uts", "mount"}) {
            ns.addObject().put("type", t);
        }
        ns.addObject().put("type", "network").put("path", pod.base().netnsPath());
        linux.put("cgroupsPath", "/" + pod.cgroup());
        if (resources != null && !resources.equals(Resources.NONE)) {
            ObjectNode r = ResourcesJson.toLinuxResources(env.json(), resources);
            if (!r.isEmpty()) {
                linux.set("resources", r);
            }
        }
        if (!sysctls.isEmpty()) {
            ObjectNode s = linux.putObject("sysctl");
            sysctls.forEach(s::put);
        }
        return spec;
    }

    /**
     * Deletes the sandbox with runsc (which kills what still runs in it and removes its gofers and mounts),
     * then the pod cgroup in every hierarchy and the pod directory. Idempotent.
     */
    void teardown(GvisorPod pod) throws IOException {
        env.runsc().cli().deleteForce(pod.id());
        env.children().collectAfterSandboxExit();
        env.cgroups().removeEverywhere(pod.cgroup());
        env.rootfs().unmount(pod.runDir()); // any container rootfs a crash left mounted
        Trees.deleteTree(pod.runDir());
    }
}
