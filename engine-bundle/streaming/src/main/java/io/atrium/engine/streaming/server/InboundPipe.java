package io.atrium.engine.streaming.server;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayDeque;

/**
 * Bytes a client sent on one stream (stdin, resize, port-forward data), handed to a blocking reader
 * such as a sandboxer's stdin copy thread. The event loop offers buffers; above {@link #HIGH} queued
 * bytes the connection stops reading until the reader has taken the queue below {@link #LOW}.
 * {@link #finish} marks the client's end of input; {@link #close} ends it from our side (the reader
 * then sees end-of-file too and queued bytes are released).
 */
final class InboundPipe implements ReadableByteChannel {
    static final int HIGH = 64 * 1024;
    static final int LOW = 16 * 1024;

    private final ReadGate gate;
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private int queued;
    private boolean finished;
    private boolean closed;
    private boolean paused;
    private boolean endHeld;

    InboundPipe(ReadGate gate) {
        this.gate = gate;
    }

    /** Takes ownership of {@code data}. Called on the event loop. */
    void offer(ByteBuf data) {
        synchronized (this) {
            if (closed || finished || !data.isReadable()) {
                data.release();
                return;
            }
            queue.add(data);
            queued += data.readableBytes();
            if (queued >= HIGH && !paused) {
                paused = true;
                gate.pause();
            }
            notifyAll();
        }
    }

    /** The client ended this stream (SPDY FIN, WebSocket v5 close signal). */
    synchronized void finish() {
        finished = true;
        notifyAll();
    }

    /**
     * Keeps the client's end-of-input from the reader (it waits instead) until {@link #releaseEnd}:
     * an exec's stdin must not end before its process has opened it, or a sandboxer that feeds stdin
     * through a FIFO drops what was buffered and the process waits for a writer forever.
     */
    synchronized void holdEnd() {
        endHeld = true;
    }

    synchronized void releaseEnd() {
        endHeld = false;
        notifyAll();
    }

    synchronized boolean isFinished() {
        return finished || closed;
    }

    synchronized int queuedBytes() {
        return queued;
    }

    @Override
    public int read(ByteBuffer dst) {
        synchronized (this) {
            while (queue.isEmpty() && !closed && (!finished || endHeld)) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            if (queue.isEmpty()) {
                return -1;
            }
            int n = 0;
            while (dst.hasRemaining() && !queue.isEmpty()) {
                ByteBuf head = queue.peek();
                int take = Math.min(dst.remaining(), head.readableBytes());
                ByteBuffer slice = dst.slice();
                slice.limit(take);
                head.readBytes(slice);
                dst.position(dst.position() + take);
                n += take;
                if (!head.isReadable()) {
                    queue.poll().release();
                }
            }
            queued -= n;
            if (paused && queued <= LOW) {
                paused = false;
                gate.resume();
            }
            return n;
        }
    }

    @Override
    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queue.forEach(ByteBuf::release);
            queue.clear();
            queued = 0;
            if (paused) {
                paused = false;
                gate.resume();
            }
            notifyAll();
        }
    }
}
