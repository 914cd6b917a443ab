package io.atrium.engine.streaming;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.Sandboxer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Connections to ports on a pod's loopback.
 *
 * @param sandboxer the pod's sandboxer (the swap-proof proxy), asked first through
 *        {@link Sandboxer#portForward}
 * @param podSandboxId the pod
 * @param netns the pod's pinned network namespace, used when the sandboxer has no port-forward of
 *        its own; null for a pod on the host network
 * @param ports the ports the request named; empty allows any (SPDY clients name the port per
 *        stream), and a WebSocket client without ports in its URL gets these
 */
public record PortForwardTarget(Sandboxer sandboxer, String podSandboxId, Path netns, List<Integer> ports) {
    public PortForwardTarget {
        Objects.requireNonNull(sandboxer, "sandboxer");
        if (podSandboxId == null || podSandboxId.isEmpty()) {
            throw SandboxException.invalid("pod_sandbox_id is required");
        }
        ports = List.copyOf(ports == null ? List.of() : ports);
        for (int p : ports) {
            if (p < 1 || p > 65535) {
                throw SandboxException.invalid("port " + p + " is out of range 1-65535");
            }
        }
    }
}
