package io.atrium.ttrpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/** Writes whole frames to a blocking channel; safe for concurrent writers (one frame at a time). */
public final class FrameWriter {
    private final WritableByteChannel out;
    private final int maxDataLength;

    public FrameWriter(WritableByteChannel out) {
        this(out, Frame.MAX_DATA_LENGTH);
    }

    public FrameWriter(WritableByteChannel out, int maxDataLength) {
        this.out = Objects.requireNonNull(out, "out");
        this.maxDataLength = maxDataLength;
    }

    /** Writes the frame in one piece; an oversized frame is refused before any byte is written. */
    public synchronized void write(Frame frame) throws IOException {
        if (frame.data().length > maxDataLength) {
            throw new OversizedFrameException(
                    new Frame.Header(frame.data().length, frame.streamId(), frame.type(), frame.flags()), maxDataLength);
        }
        ByteBuffer buffer = frame.encode();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
