package io.atrium.sandbox.api;

import java.time.Instant;
import java.util.Map;

/**
 * One sandbox's state.
 *
 * @param sandboxId the sandbox
 * @param state its lifecycle state
 * @param pid host process representing it, 0 when none
 * @param createdAt when it was created
 * @param exitedAt when it stopped, or null
 * @param info technology-specific details; verbose details only when asked for
 */
public record SandboxStatus(String sandboxId, SandboxState state, long pid, Instant createdAt, Instant exitedAt,
        Map<String, String> info) {
    public SandboxStatus {
        info = info == null ? Map.of() : Map.copyOf(info);
    }
}
