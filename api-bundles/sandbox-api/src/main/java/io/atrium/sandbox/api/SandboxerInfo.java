package io.atrium.sandbox.api;

import java.util.Map;

/**
 * What a sandboxer reports about itself.
 *
 * @param technology what isolates its pods (for example {@code runc 1.1.5}, {@code runsc ptrace})
 * @param details further facts shown by {@code atrium sandboxers}
 */
public record SandboxerInfo(String technology, Map<String, String> details) {
    public SandboxerInfo {
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
