package io.atrium.ttrpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;

/**
 * Reads frames from a blocking channel. Not thread-safe: one reader per connection.
 *
 * <p>Bad input: a length over the limit is skipped in small chunks and reported as
 * {@link OversizedFrameException} (the reader stays usable); a length whose reserved first byte is
 * set (16 MiB or more, never valid per the spec), an unknown type or a frame cut short by end of
 * stream is a {@link TtrpcProtocolException} and nothing more can be read.
 */
public final class FrameReader {
    private static final int SKIP_CHUNK = 64 * 1024;

    private final ReadableByteChannel in;
    private final int maxDataLength;
    private final ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_LENGTH);

    public FrameReader(ReadableByteChannel in) {
        this(in, Frame.MAX_DATA_LENGTH);
    }

    public FrameReader(ReadableByteChannel in, int maxDataLength) {
        this.in = Objects.requireNonNull(in, "in");
        this.maxDataLength = maxDataLength;
    }

    /** The next frame, or null at a clean end of stream (between frames). */
    public Frame read() throws IOException {
        header.clear();
        int got = fill(header);
        if (got == 0) {
            return null;
        }
        if (header.hasRemaining()) {
            throw new TtrpcProtocolException("truncated frame header: end of stream after " + got + " of "
                    + Frame.HEADER_LENGTH + " bytes");
        }
        header.flip();
        Frame.Header h = Frame.Header.decode(header);
        if (h.dataLength() >>> 24 != 0) {
            // The spec reserves the first byte; a set bit means garbage, not a big message.
            throw new TtrpcProtocolException("invalid frame length " + h.dataLength() + ": reserved first byte is set ("
                    + h + ")");
        }
        if (!h.knownType()) {
            throw new TtrpcProtocolException("unknown frame type 0x" + Integer.toHexString(h.type()) + " (" + h + ")");
        }
        if (h.dataLength() > maxDataLength) {
            skip(h);
            throw new OversizedFrameException(h, maxDataLength);
        }
        ByteBuffer data = ByteBuffer.allocate((int) h.dataLength());
        fill(data);
        if (data.hasRemaining()) {
            throw new TtrpcProtocolException("truncated frame: end of stream after " + data.position() + " of "
                    + h.dataLength() + " data bytes (" + h + ")");
        }
        return new Frame(h.streamId(), h.type(), h.flags(), data.array());
    }

    private void skip(Frame.Header h) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate(SKIP_CHUNK);
        long left = h.dataLength();
        while (left > 0) {
            scratch.clear().limit((int) Math.min(SKIP_CHUNK, left));
            int n = fill(scratch);
            if (scratch.hasRemaining()) {
                throw new TtrpcProtocolException("truncated oversized frame: end of stream with " + (left - n)
                        + " data bytes missing (" + h + ")");
            }
            left -= n;
        }
    }

    /** Reads until the buffer is full or the stream ends; returns the bytes read. */
    private int fill(ByteBuffer buffer) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
