package io.atrium.sandbox.api;

/** One process of a container; {@code execId} is empty for processes not started through exec. */
public record ProcessInfo(long pid, String execId) {
}
