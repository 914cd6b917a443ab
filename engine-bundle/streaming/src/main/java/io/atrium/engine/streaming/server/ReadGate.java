package io.atrium.engine.streaming.server;

import io.netty.channel.Channel;

/**
 * Stops reading from a connection while any of its inbound pipes is full, and reads again once all
 * have drained: a client that sends faster than a process consumes is held back by TCP instead of
 * growing the node's memory. Several pipes share one connection, hence the count.
 */
final class ReadGate {
    private final Channel channel;
    private int paused;

    ReadGate(Channel channel) {
        this.channel = channel;
    }

    synchronized void pause() {
        if (paused++ == 0) {
            channel.config().setAutoRead(false);
        }
    }

    synchronized void resume() {
        if (paused > 0 && --paused == 0) {
            channel.config().setAutoRead(true);
        }
    }
}
