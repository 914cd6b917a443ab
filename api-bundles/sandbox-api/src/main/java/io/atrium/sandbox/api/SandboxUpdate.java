package io.atrium.sandbox.api;

import java.util.Map;

/** Changes to a running sandbox; null fields are left alone. */
public record SandboxUpdate(Resources resources, Map<String, String> annotations) {
}
