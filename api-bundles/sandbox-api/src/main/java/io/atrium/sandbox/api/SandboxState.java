package io.atrium.sandbox.api;

/** Lifecycle of a sandbox as the sandboxer sees it. */
public enum SandboxState {
    CREATED, READY, NOT_READY, STOPPED, UNKNOWN
}
