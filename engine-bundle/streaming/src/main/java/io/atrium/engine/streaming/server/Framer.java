package io.atrium.engine.streaming.server;

import io.netty.buffer.ByteBuf;

/** How one logical stream's bytes become frames of its transport (a SPDY stream, a WebSocket channel). */
interface Framer {

    /** A frame carrying {@code payload} (owned by the frame). */
    Object data(ByteBuf payload);

    /** The frame that ends this direction of the stream, or null if the transport has none. */
    Object end();
}
