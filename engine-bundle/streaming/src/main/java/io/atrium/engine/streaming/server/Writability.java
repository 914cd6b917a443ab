package io.atrium.engine.streaming.server;

import io.netty.channel.Channel;

/**
 * Lets blocking writers (a sandboxer's output thread, a port-forward pump) wait while the
 * connection's outbound buffer is above its high-water mark: a client that never reads blocks the
 * writer, and through it the process's pipe, instead of growing the node's memory.
 */
final class Writability {
    private final Channel channel;

    Writability(Channel channel) {
        this.channel = channel;
    }

    /** Returns once the connection takes more bytes; false once it is closed. */
    boolean await() {
        if (channel.eventLoop().inEventLoop()) {
            return channel.isActive(); // never block the event loop; small control frames may pass
        }
        synchronized (this) {
            while (channel.isActive() && !channel.isWritable()) {
                try {
                    wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return channel.isActive();
        }
    }

    /** Called by the connection's handler when writability changed or the connection closed. */
    synchronized void changed() {
        notifyAll();
    }
}
