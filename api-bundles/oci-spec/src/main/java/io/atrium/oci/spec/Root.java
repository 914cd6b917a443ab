package io.atrium.oci.spec;

/** The root filesystem: a path (absolute, or relative to the bundle) and whether it is read-only. */
public record Root(String path, Boolean readonly) {
}
