package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster.PodView;
import io.atrium.sandboxer.ociruntime.SpecHook;

/**
 * gVisor's part of turning the engine's spec into one runsc runs as a container of the pod's sandbox:
 * refuses what a user-space kernel cannot give (a privileged container, the node's PID namespace, another
 * container's PID namespace) with the option named, and marks the spec as a container of the sandbox.
 */
final class GvisorSpecHook implements SpecHook {
    static final String CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    static final String SANDBOX_ID = "io.kubernetes.cri.sandbox-id";

    @Override
    public void container(ObjectNode spec, String containerId, PodView pod) {
        String what = "container " + containerId;
        if (privileged(spec)) {
            throw SandboxException.invalid(what + ": option 'privileged' is not supported by the gvisor sandboxer "
                    + "(a gVisor container never reaches the host's devices or kernel)");
        }
        JsonNode pid = null;
        for (JsonNode ns : spec.path("linux").path("namespaces")) {
            if ("pid".equals(ns.path("type").asText())) {
                pid = ns;
            }
        }
        if (pid == null) {
            throw SandboxException.invalid(what + ": option 'host PID namespace' (namespace_options.pid=NODE) is not "
                    + "supported by the gvisor sandboxer");
        }
        if (pid.hasNonNull("path") && !pid.path("path").asText().isEmpty()) {
            throw SandboxException.invalid(what + ": option 'PID namespace of another container' "
                    + "(namespace_options.pid=TARGET) is not supported by the gvisor sandboxer");
        }
    }

    /** Marks the spec as a container of {@code podId}'s sandbox, the annotations runsc reads. */
    static void joinSandbox(ObjectNode spec, String podId) {
        ObjectNode annotations = OciSpecAdjuster.object(spec, "annotations");
        annotations.put(CONTAINER_TYPE, "container");
        annotations.put(SANDBOX_ID, podId);
    }

    /** The engine gives a privileged container an allow-all device rule (no type, major or minor). */
    static boolean privileged(ObjectNode spec) {
        for (JsonNode rule : spec.path("linux").path("resources").path("devices")) {
            if (rule.path("allow").asBoolean(false) && isBlank(rule, "type") && !rule.hasNonNull("major")
                    && !rule.hasNonNull("minor")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(JsonNode rule, String field) {
        JsonNode n = rule.get(field);
        return n == null || n.isNull() || n.asText().isEmpty() || n.asText().equals("a");
    }
}
