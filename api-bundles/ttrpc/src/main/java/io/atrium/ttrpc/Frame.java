package io.atrium.ttrpc;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One ttrpc message frame: a 10-byte header (uint32 big-endian data length, uint32 big-endian
 * stream id, uint8 type, uint8 flags) followed by the data.
 *
 * <p>The stream id is an unsigned 32-bit value held in an {@code int}; print it with
 * {@link Integer#toUnsignedString(int)}. {@code data} is not copied: a frame is a view of a buffer
 * its creator no longer touches.
 */
public record Frame(int streamId, int type, int flags, byte[] data) {

    public static final int HEADER_LENGTH = 10;
    /** Largest data length ttrpc accepts (4 MiB); longer frames are rejected. */
    public static final int MAX_DATA_LENGTH = 4 << 20;

    public static final int TYPE_REQUEST = 0x1;
    public static final int TYPE_RESPONSE = 0x2;
    public static final int TYPE_DATA = 0x3;

    /** Request/Data: the sender sends no more data on this stream. */
    public static final int FLAG_REMOTE_CLOSED = 0x1;
    /** Request: the sender will send more data on this stream. */
    public static final int FLAG_REMOTE_OPEN = 0x2;
    /** Data: the frame carries no data. */
    public static final int FLAG_NO_DATA = 0x4;

    private static final byte[] NO_DATA = new byte[0];

    public Frame {
        Objects.requireNonNull(data, "data");
        if (type < 0 || type > 0xff || flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("type and flags are single bytes: type " + type + ", flags " + flags);
        }
    }

    public static Frame request(int streamId, byte[] data) {
        return new Frame(streamId, TYPE_REQUEST, 0, data);
    }

    public static Frame response(int streamId, byte[] data) {
        return new Frame(streamId, TYPE_RESPONSE, 0, data);
    }

    public static Frame data(int streamId, int flags, byte[] data) {
        return new Frame(streamId, TYPE_DATA, flags, data == null ? NO_DATA : data);
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) == flag;
    }

    /** The frame as it goes on the wire: header then data. */
    public ByteBuffer encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_LENGTH + data.length);
        encodeHeader(buffer, data.length, streamId, type, flags);
        buffer.put(data).flip();
        return buffer;
    }

    /** Writes a header at the buffer's position (big-endian, whatever the buffer's order). */
    public static void encodeHeader(ByteBuffer buffer, long dataLength, int streamId, int type, int flags) {
        if (dataLength < 0 || dataLength > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("data length does not fit 32 bits: " + dataLength);
        }
        buffer.put((byte) (dataLength >>> 24)).put((byte) (dataLength >>> 16))
                .put((byte) (dataLength >>> 8)).put((byte) dataLength);
        buffer.put((byte) (streamId >>> 24)).put((byte) (streamId >>> 16))
                .put((byte) (streamId >>> 8)).put((byte) streamId);
        buffer.put((byte) type).put((byte) flags);
    }

    /** A decoded header; {@code dataLength} is the unsigned 32-bit length field. */
    public record Header(long dataLength, int streamId, int type, int flags) {

        /** Reads the 10 header bytes at the buffer's position. */
        public static Header decode(ByteBuffer buffer) {
            long length = Integer.toUnsignedLong(getBigEndianInt(buffer));
            int streamId = getBigEndianInt(buffer);
            int type = buffer.get() & 0xff;
            int flags = buffer.get() & 0xff;
            return new Header(length, streamId, type, flags);
        }

        public boolean knownType() {
            return type == TYPE_REQUEST || type == TYPE_RESPONSE || type == TYPE_DATA;
        }

        @Override
        public String toString() {
            return "frame{stream " + Integer.toUnsignedString(streamId) + ", type 0x" + Integer.toHexString(type)
                    + ", flags 0x" + Integer.toHexString(flags) + ", length " + dataLength + "}";
        }

        private static int getBigEndianInt(ByteBuffer b) {
            return (b.get() & 0xff) << 24 | (b.get() & 0xff) << 16 | (b.get() & 0xff) << 8 | (b.get() & 0xff);
        }
    }

    @Override
    public String toString() {
        return new Header(data.length, streamId, type, flags).toString();
    }
}
