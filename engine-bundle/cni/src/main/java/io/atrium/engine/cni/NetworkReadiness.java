package io.atrium.engine.cni;

/**
 * The CRI NetworkReady condition.
 *
 * @param ready whether pods can be attached
 * @param reason a CamelCase reason when not ready, e.g. {@code NoCNIConfig}; empty when ready
 * @param message what is wrong, naming the directory or file
 */
public record NetworkReadiness(boolean ready, String reason, String message) {
}
