package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster.PodView;

/**
 * A runtime's own adjustments to the OCI spec, run after the common ones of {@link OciSpecAdjuster}:
 * for example runsc's {@code io.kubernetes.cri.container-type}/{@code sandbox-id} annotations, or refusing
 * options the runtime cannot honour (throw {@link io.atrium.sandbox.api.SandboxException}).
 */
public interface SpecHook {
    SpecHook NONE = new SpecHook() {
    };

    /** Adjusts a container's whole spec (config.json) in place. */
    default void container(ObjectNode spec, String containerId, PodView pod) {
    }

    /** Adjusts a process (the container's, or an exec's process.json) in place. */
    default void process(ObjectNode process, String what) {
    }
}
