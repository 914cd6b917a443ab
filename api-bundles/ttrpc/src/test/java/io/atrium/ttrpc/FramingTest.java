package io.atrium.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Frame encoding and decoding against byte sequences written from ttrpc's PROTOCOL.md. */
class FramingTest {

    /** Serves fixed bytes and remembers the largest read it was asked for. */
    static final class BytesChannel implements ReadableByteChannel {
        private final ByteBuffer bytes;
        int largestRequest;

        BytesChannel(byte[] bytes) {
            this.bytes = ByteBuffer.wrap(bytes);
        }

        @Override
        public int read(ByteBuffer dst) {
            largestRequest = Math.max(largestRequest, dst.remaining());
            if (!bytes.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), Math.min(bytes.remaining(), 7)); // short reads on purpose
            ByteBuffer slice = bytes.slice().limit(n);
            dst.put(slice);
            bytes.position(bytes.position() + n);
            return n;
        }

        int consumed() {
            return bytes.position();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void requestFrameEncodesAsSpecifiedHeaderThenData() {
        ByteBuffer encoded = Frame.request(1, "abc".getBytes()).encode();
        byte[] wire = new byte[encoded.remaining()];
        encoded.get(wire);
        assertArrayEquals(bytes(0, 0, 0, 3, 0, 0, 0, 1, 0x01, 0x00, 'a', 'b', 'c'), wire);
    }

    @Test
    void headerFieldsAreBigEndianAndStreamIdIsUnsigned() {
        ByteBuffer b = ByteBuffer.allocate(Frame.HEADER_LENGTH);
        Frame.encodeHeader(b, 0x0012_3456L, 0x8000_0001, Frame.TYPE_DATA, Frame.FLAG_REMOTE_CLOSED | Frame.FLAG_NO_DATA);
        assertArrayEquals(bytes(0x00, 0x12, 0x34, 0x56, 0x80, 0x00, 0x00, 0x01, 0x03, 0x05), b.array());

        Frame.Header h = Frame.Header.decode(ByteBuffer.wrap(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0)));
        assertEquals(0xFFFF_FFFFL, h.dataLength());
        assertEquals("4294967295", Integer.toUnsignedString(h.streamId()));
        assertEquals(Frame.TYPE_RESPONSE, h.type());
    }

    @Test
    void readsConsecutiveFramesWithFlagsAndEmptyData() throws IOException {
        byte[] wire = concat(
                bytes(0, 0, 0, 2, 0, 0, 0, 3, 0x02, 0x00, 0x0a, 0x00), // response on stream 3
                bytes(0, 0, 0, 0, 0, 0, 0, 5, 0x03, 0x05), // data, remote closed + no data
                bytes(0, 0, 0, 1, 0, 0, 0, 7, 0x01, 0x02, 0x42)); // request, remote open
        FrameReader reader = new FrameReader(new BytesChannel(wire));

        Frame response = reader.read();
        assertEquals(3, response.streamId());
        assertEquals(Frame.TYPE_RESPONSE, response.type());
        assertArrayEquals(bytes(0x0a, 0x00), response.data());

        Frame data = reader.read();
        assertEquals(Frame.TYPE_DATA, data.type());
        assertTrue(data.hasFlag(Frame.FLAG_REMOTE_CLOSED));
        assertTrue(data.hasFlag(Frame.FLAG_NO_DATA));
        assertEquals(0, data.data().length);

        Frame request = reader.read();
        assertEquals(7, request.streamId());
        assertTrue(request.hasFlag(Frame.FLAG_REMOTE_OPEN));
        assertArrayEquals(bytes(0x42), request.data());

        assertNull(reader.read(), "clean end of stream between frames");
    }

    @Test
    void oversizedFrameIsSkippedInSmallReadsAndTheNextFrameStillReads() throws IOException {
        int length = Frame.MAX_DATA_LENGTH + 1;
        byte[] header = bytes(0x00, 0x40, 0x00, 0x01, 0, 0, 0, 9, 0x01, 0x00);
        byte[] next = bytes(0, 0, 0, 1, 0, 0, 0, 11, 0x01, 0x00, 0x33);
        BytesChannel channel = new BytesChannel(concat(header, new byte[length], next));
        FrameReader reader = new FrameReader(channel);

        OversizedFrameException e = assertThrows(OversizedFrameException.class, reader::read);
        assertEquals(9, e.streamId());
        assertEquals(length, e.header().dataLength());
        assertTrue(channel.largestRequest <= 64 * 1024, "body never buffered whole: largest read " + channel.largestRequest);

        Frame after = reader.read();
        assertEquals(11, after.streamId());
        assertArrayEquals(bytes(0x33), after.data());
    }

    @Test
    void lengthWithReservedByteSetIsAProtocolErrorWithoutReadingTheBody() {
        BytesChannel channel = new BytesChannel(concat(bytes(0x01, 0, 0, 0, 0, 0, 0, 1, 0x01, 0x00), new byte[64]));
        TtrpcProtocolException e = assertThrows(TtrpcProtocolException.class, () -> new FrameReader(channel).read());
        assertTrue(e.getMessage().contains("reserved first byte"), e.getMessage());
        assertEquals(Frame.HEADER_LENGTH, channel.consumed());
    }

    @Test
    void unknownTypeIsAProtocolError() {
        byte[] wire = bytes(0, 0, 0, 0, 0, 0, 0, 1, 0x07, 0x00);
        TtrpcProtocolException e = assertThrows(TtrpcProtocolException.class,
                () -> new FrameReader(new BytesChannel(wire)).read());
        assertTrue(e.getMessage().contains("unknown frame type 0x7"), e.getMessage());
    }

    @Test
    void truncatedHeaderAndTruncatedDataAreProtocolErrors() {
        TtrpcProtocolException header = assertThrows(TtrpcProtocolException.class,
                () -> new FrameReader(new BytesChannel(bytes(0, 0, 0, 8, 0))).read());
        assertTrue(header.getMessage().contains("truncated frame header"), header.getMessage());

        byte[] cut = bytes(0, 0, 0, 8, 0, 0, 0, 1, 0x01, 0x00, 1, 2, 3);
        TtrpcProtocolException data = assertThrows(TtrpcProtocolException.class,
                () -> new FrameReader(new BytesChannel(cut)).read());
        assertTrue(data.getMessage().contains("3 of 8 data bytes"), data.getMessage());

        byte[] cutOversized = concat(bytes(0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 0x01, 0x00), new byte[100]);
        assertThrows(TtrpcProtocolException.class, () -> new FrameReader(new BytesChannel(cutOversized)).read());
    }

    @Test
    void writerRefusesOversizedFramesBeforeWritingAnything() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(Channels.newChannel(out));
        assertThrows(OversizedFrameException.class,
                () -> writer.write(Frame.request(1, new byte[Frame.MAX_DATA_LENGTH + 1])));
        assertEquals(0, out.size());

        writer.write(Frame.data(5, Frame.FLAG_REMOTE_CLOSED | Frame.FLAG_NO_DATA, null));
        assertArrayEquals(bytes(0, 0, 0, 0, 0, 0, 0, 5, 0x03, 0x05), out.toByteArray());
    }

    @Test
    void maximumSizedFrameRoundTrips() throws IOException {
        byte[] data = new byte[Frame.MAX_DATA_LENGTH];
        Arrays.fill(data, (byte) 0x5a);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(Channels.newChannel(out)).write(Frame.response(13, data));
        Frame read = new FrameReader(new BytesChannel(out.toByteArray())).read();
        assertEquals(13, read.streamId());
        assertArrayEquals(data, read.data());
    }
}
