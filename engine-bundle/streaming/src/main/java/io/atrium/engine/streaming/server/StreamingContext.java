package io.atrium.engine.streaming.server;

import java.util.concurrent.Executor;

/** What every connection of one server shares. */
record StreamingContext(TokenCache tokens, Executor workers, RemoteCommandSession commands, PodPortDialer dialer,
        StreamingSettings settings) {
}
