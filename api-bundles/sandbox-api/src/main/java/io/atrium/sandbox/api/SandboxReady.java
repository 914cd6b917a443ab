package io.atrium.sandbox.api;

import java.time.Instant;
import java.util.Map;

/**
 * A started sandbox.
 *
 * @param sandboxId the sandbox
 * @param tasks where its containers are managed
 * @param pid a process that represents the sandbox on the host, or 0 when none does (Wasm, runc pods)
 * @param createdAt when the sandbox was created
 * @param info technology-specific details (addresses, VM ids)
 */
public record SandboxReady(String sandboxId, TaskEndpoint tasks, long pid, Instant createdAt, Map<String, String> info) {
    public SandboxReady {
        info = info == null ? Map.of() : Map.copyOf(info);
    }
}
