package io.atrium.engine.runtime.network;

import io.atrium.cri.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Connects a pod's pinned network namespace to the network, and disconnects it. This is the seam
 * where CNI ADD/DEL go; until then {@link LoopbackPodNetwork} only brings {@code lo} up.
 */
public interface PodNetwork {

    /** Addresses a pod got; empty when it has none beyond loopback. */
    record Attachment(String ip, List<String> additionalIps) {
        public static final Attachment NONE = new Attachment("", List.of());

        public Attachment {
            additionalIps = List.copyOf(additionalIps);
        }
    }

    /** Sets up networking inside {@code netns}; on failure leaves nothing behind. */
    Attachment setUp(String podId, Path netns, PodSandboxConfig config) throws IOException;

    /** Undoes {@link #setUp}; idempotent, and must tolerate a namespace that is already gone. */
    void tearDown(String podId, Path netns, PodSandboxConfig config) throws IOException;

    /** The addresses the pod got at set-up, also after a node restart; {@link Attachment#NONE} if none. */
    default Attachment attachment(String podId) {
        return Attachment.NONE;
    }

    /** Whether pods get a real network (the CRI NetworkReady condition) and, if not, why. */
    Readiness readiness();

    record Readiness(boolean ready, String reason, String message) {
    }
}
