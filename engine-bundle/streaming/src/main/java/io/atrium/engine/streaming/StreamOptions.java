package io.atrium.engine.streaming;

import io.atrium.sandbox.api.SandboxException;

/**
 * The streams of an exec or attach, as the CRI request names them. A terminal merges stdout and
 * stderr, so {@code tty} with {@code stderr} is refused, as kubelet refuses it.
 */
public record StreamOptions(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    public StreamOptions {
        if (tty && stderr) {
            throw SandboxException.invalid("tty and stderr cannot both be true");
        }
        if (!stdin && !stdout && !stderr) {
            throw SandboxException.invalid("one of stdin, stdout, or stderr must be set");
        }
    }
}
