package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Turns the OCI runtime spec the engine built into one the runtime can run inside this pod: joins the
 * pod's namespaces by path, puts the container's cgroup under the pod cgroup, binds the pod's files and
 * /dev/shm, points the root at the mounted rootfs and applies the node's oom_score_adj floor; then the
 * sandboxer's {@link SpecHook} adds what its runtime needs (runsc's sandbox annotations, for example).
 */
public final class OciSpecAdjuster {
    private final ObjectMapper json;
    private final int oomScoreAdjFloor;
    private final SpecHook hook;

    /**
     * @param oomScoreAdjFloor the node JVM's own oom_score_adj; the kernel refuses lower values here
     * @param hook the runtime's own adjustments, run after the common ones
     */
    public OciSpecAdjuster(ObjectMapper json, int oomScoreAdjFloor, SpecHook hook) {
        this.json = json;
        this.oomScoreAdjFloor = oomScoreAdjFloor;
        this.hook = hook == null ? SpecHook.NONE : hook;
    }

    public OciSpecAdjuster(ObjectMapper json, int oomScoreAdjFloor) {
        this(json, oomScoreAdjFloor, SpecHook.NONE);
    }

    /**
     * What the pod contributes to each of its containers; a null path (or cgroup) leaves that part of
     * the spec as the engine built it.
     *
     * @param netns network namespace to join, null to share the node's
     * @param ipc IPC namespace to join, null to share the node's
     * @param uts UTS namespace to join, null to share the node's
     * @param cgroup the pod cgroup (relative to the hierarchy roots); the container goes below it
     */
    public record PodView(Path netns, Path ipc, Path uts, String cgroup, Path hosts, Path resolvConf, Path hostname,
            Path shm, Map<String, String> sysctls) {
        public PodView {
            sysctls = sysctls == null ? Map.of() : Map.copyOf(sysctls);
        }
    }

    /** The node JVM's own oom_score_adj, the floor for containers (0 if unreadable). */
    public static int ownOomScoreAdj() {
        try {
            return Integer.parseInt(java.nio.file.Files.readString(Path.of("/proc/self/oom_score_adj")).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    public ObjectNode parse(String specJson, String what) {
        try {
            JsonNode n = json.readTree(specJson);
            if (!(n instanceof ObjectNode o)) {
                throw SandboxException.invalid(what + ": the OCI runtime spec is not a JSON object");
            }
            return o;
        } catch (IOException e) {
            throw SandboxException.invalid(what + ": the OCI runtime spec is not valid JSON: " + e.getMessage());
        }
    }

    /** Adjusts a container's config.json in place. {@code rootfs} is null when the spec's root is ready. */
    public void adjustContainer(ObjectNode spec, String containerId, PodView pod, Path rootfs) {
        ObjectNode process = object(spec, "process");
        adjustProcess(process, "container " + containerId);
        ObjectNode linux = object(spec, "linux");
        joinNamespaces(linux, pod);
        spec.remove("hostname"); // the pod's UTS namespace already carries it; setting it again would rename the pod
        if (pod.cgroup() != null) {
            linux.put("cgroupsPath", "/" + pod.cgroup() + "/" + containerId);
        }
        if (!pod.sysctls().isEmpty()) {
            ObjectNode sysctl = object(linux, "sysctl");
            pod.sysctls().forEach((k, v) -> {
                if (!sysctl.has(k)) {
                    sysctl.put(k, v);
                }
            });
        }
        ArrayNode mounts = array(spec, "mounts");
        bindIfAbsent(mounts, "/etc/hosts", pod.hosts(), false);
        bindIfAbsent(mounts, "/etc/resolv.conf", pod.resolvConf(), false);
        bindIfAbsent(mounts, "/etc/hostname", pod.hostname(), false);
        if (pod.shm() != null) {
            replaceShm(mounts, pod.shm());
        }
        if (rootfs != null) {
            object(spec, "root").put("path", rootfs.toString());
        } else if (!spec.path("root").path("path").isTextual()) {
            throw SandboxException.invalid("container " + containerId + ": no rootfs mounts given and the spec has no root.path");
        }
        hook.container(spec, containerId, pod);
    }

    /** Checks and adjusts a process (the container's or an exec's). */
    public void adjustProcess(ObjectNode process, String what) {
        if (!process.path("args").isArray() || process.path("args").isEmpty()) {
            throw SandboxException.invalid(what + ": process.args is empty");
        }
        JsonNode adj = process.get("oomScoreAdj");
        if (adj != null && adj.asInt() < oomScoreAdjFloor) {
            // like containerd's restrict_oom_score_adj: a container may not be less killable than the node
            process.put("oomScoreAdj", oomScoreAdjFloor);
        }
        hook.process(process, what);
    }

    private void joinNamespaces(ObjectNode linux, PodView pod) {
        ArrayNode namespaces = array(linux, "namespaces");
        setNamespace(namespaces, "network", pod.netns());
        setNamespace(namespaces, "ipc", pod.ipc());
        setNamespace(namespaces, "uts", pod.uts());
    }

    /** Joins {@code type} at {@code path}, or shares the node's when path is null (host network / IPC). */
    private void setNamespace(ArrayNode namespaces, String type, Path path) {
        boolean found = false;
        for (Iterator<JsonNode> it = namespaces.iterator(); it.hasNext();) {
            JsonNode ns = it.next();
            if (type.equals(ns.path("type").asText())) {
                if (path == null) {
                    it.remove();
                } else {
                    ((ObjectNode) ns).put("path", path.toString());
                    found = true;
                }
            }
        }
        if (!found && path != null) {
            namespaces.addObject().put("type", type).put("path", path.toString());
        }
    }

    private void bindIfAbsent(ArrayNode mounts, String destination, Path source, boolean readOnly) {
        if (source == null) {
            return;
        }
        for (JsonNode m : mounts) {
            if (destination.equals(m.path("destination").asText())) {
                return; // the engine (kubelet) brought its own
            }
        }
        ObjectNode m = mounts.addObject();
        m.put("destination", destination).put("type", "bind").put("source", source.toString());
        ArrayNode options = m.putArray("options");
        options.add("rbind").add("rprivate").add(readOnly ? "ro" : "rw");
    }

    private void replaceShm(ArrayNode mounts, Path shm) {
        for (Iterator<JsonNode> it = mounts.iterator(); it.hasNext();) {
            if ("/dev/shm".equals(it.next().path("destination").asText())) {
                it.remove();
            }
        }
        ObjectNode m = mounts.addObject();
        m.put("destination", "/dev/shm").put("type", "bind").put("source", shm.toString());
        m.putArray("options").add("rbind").add("rprivate").add("nosuid").add("nodev").add("noexec");
    }

    /** The object at {@code field}, created when absent; refuses a field of another JSON type. */
    public static ObjectNode object(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return parent.putObject(field);
        }
        if (!(n instanceof ObjectNode o)) {
            throw SandboxException.invalid("OCI runtime spec: '" + field + "' must be an object");
        }
        return o;
    }

    /** The array at {@code field}, created when absent; refuses a field of another JSON type. */
    public static ArrayNode array(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return parent.putArray(field);
        }
        if (!(n instanceof ArrayNode a)) {
            throw SandboxException.invalid("OCI runtime spec: '" + field + "' must be an array");
        }
        return a;
    }
}
