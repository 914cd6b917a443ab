package io.atrium.sandbox.api;

import java.util.List;

/** A mount as the OCI spec and containerd describe it. */
public record Mount(String type, String source, String target, List<String> options) {
    public Mount {
        options = options == null ? List.of() : List.copyOf(options);
    }
}
