package io.atrium.engine.streaming.server;

import java.util.concurrent.CompletableFuture;

/**
 * The streams of one exec or attach, whatever the transport. Absent streams are null.
 *
 * @param jsonStatus whether the error stream carries a metav1.Status JSON (v4 and later) or, in
 *        the older protocols, only the message of a failure
 * @param closed completes when the client's connection is gone
 * @param finish ends the session: flushes what was written and closes the connection
 */
record CommandStreams(InboundPipe stdin, OutboundStream stdout, OutboundStream stderr, OutboundStream error,
        InboundPipe resize, boolean jsonStatus, CompletableFuture<Void> closed, Runnable finish) {
}
