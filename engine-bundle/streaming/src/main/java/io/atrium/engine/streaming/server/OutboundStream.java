package io.atrium.engine.streaming.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * One stream towards the client (stdout, stderr, error, port-forward data) as a blocking channel a
 * sandboxer writes a process's output to. Writes wait while the connection is unwritable. Once the
 * client is gone, bytes are dropped rather than failing the writer: an attached container must keep
 * running and logging when its viewer disconnects.
 */
final class OutboundStream implements WritableByteChannel {
    /** Bytes per frame; client-go reads frames of any size, small ones keep latency low. */
    static final int CHUNK = 32 * 1024;

    private final Channel channel;
    private final Writability writability;
    private final Framer framer;
    private volatile boolean open = true;
    private volatile long written;

    OutboundStream(Channel channel, Writability writability, Framer framer) {
        this.channel = channel;
        this.writability = writability;
        this.framer = framer;
    }

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        while (src.hasRemaining()) {
            if (!open || !writability.await()) {
                src.position(src.limit());
                break;
            }
            int take = Math.min(CHUNK, src.remaining());
            ByteBuf buf = channel.alloc().buffer(take);
            ByteBuffer slice = src.slice();
            slice.limit(take);
            buf.writeBytes(slice);
            src.position(src.position() + take);
            channel.writeAndFlush(framer.data(buf), channel.voidPromise());
            written += take;
        }
        return n;
    }

    /** Writes all of {@code bytes} (status messages, port prefixes). */
    void write(byte[] bytes) {
        write(ByteBuffer.wrap(bytes));
    }

    long written() {
        return written;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** The peer is gone or reset the stream: drop what is written from now on, send no end frame. */
    void abandon() {
        open = false;
    }

    /** Ends this direction (SPDY FIN); the connection stays up for the other streams. */
    @Override
    public void close() {
        if (open) {
            open = false;
            Object end = framer.end();
            if (end != null && channel.isActive()) {
                channel.writeAndFlush(end, channel.voidPromise());
            }
        }
    }
}
