package io.atrium.sandboxer.vmm.stdio;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One frame of the stdio multiplex on the {@code io.atrium.stdio} port (VMM-CONTRACT.md):
 * {@code u32 BE payload length}, then {@code u8 kind, u8 stream, u16 BE id length, id (UTF-8), data}.
 *
 * @param kind {@link #DATA}, {@link #CLOSE} or {@link #WINDOW}
 * @param stream {@link #STDIN}, {@link #STDOUT} or {@link #STDERR}
 * @param id container id, or {@code containerId/execId} for an exec
 */
public record StdioFrame(int kind, int stream, String id, byte[] data) {
    public static final int DATA = 1;
    public static final int CLOSE = 2;
    public static final int WINDOW = 3;
    public static final int STDIN = 0;
    public static final int STDOUT = 1;
    public static final int STDERR = 2;
    /** Largest payload either side sends or accepts. */
    public static final int MAX_PAYLOAD = 64 * 1024;

    public StdioFrame {
        data = data == null ? new byte[0] : data;
    }

    public ByteBuffer encode() {
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        int payload = 4 + idBytes.length + data.length;
        if (payload > MAX_PAYLOAD) {
            throw new IllegalArgumentException("stdio frame payload " + payload + " exceeds " + MAX_PAYLOAD);
        }
        ByteBuffer b = ByteBuffer.allocate(4 + payload);
        b.putInt(payload).put((byte) kind).put((byte) stream).putShort((short) idBytes.length).put(idBytes).put(data);
        return b.flip();
    }

    /** Reads one frame; {@link EOFException} at a clean end of stream. */
    public static StdioFrame read(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 4 || len > MAX_PAYLOAD) {
            throw new IOException("stdio frame with bad payload length " + len);
        }
        byte[] p = new byte[len];
        in.readFully(p);
        ByteBuffer b = ByteBuffer.wrap(p);
        int kind = b.get() & 0xff;
        int stream = b.get() & 0xff;
        int idLen = b.getShort() & 0xffff;
        if (idLen > b.remaining()) {
            throw new IOException("stdio frame id length " + idLen + " exceeds its payload");
        }
        String id = new String(p, 4, idLen, StandardCharsets.UTF_8);
        byte[] data = new byte[len - 4 - idLen];
        System.arraycopy(p, 4 + idLen, data, 0, data.length);
        return new StdioFrame(kind, stream, id, data);
    }

    /** Splits {@code data} into DATA frames that respect {@link #MAX_PAYLOAD}. */
    public static int maxData(String id) {
        return MAX_PAYLOAD - 4 - id.getBytes(StandardCharsets.UTF_8).length;
    }
}
