package io.atrium.host.cli;

import java.util.logging.LogManager;

/**
 * The JDK resets logging in its own shutdown hook, which would swallow what the node logs while
 * it stops on SIGTERM. This manager ignores that reset; explicit set-up still calls {@link #reallyReset}.
 */
public final class NodeLogManager extends LogManager {
    private volatile boolean setUp;

    @Override
    public void reset() {
        if (!setUp) {
            super.reset();
        }
    }

    void reallyReset() {
        super.reset();
        setUp = true;
    }
}
