package io.atrium.sandbox.api;

/** OCI platform (os, architecture, variant) such as linux/amd64 or wasi/wasm. */
public record Platform(String os, String architecture, String variant) {
    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", "");
}
