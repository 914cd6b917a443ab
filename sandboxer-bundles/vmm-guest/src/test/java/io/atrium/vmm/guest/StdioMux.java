package io.atrium.vmm.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** The host end of the stdio multiplex (contract: u32 length, u8 kind, u8 stream, u16 id length, id, data). */
final class StdioMux implements AutoCloseable {
    private final SocketChannel channel;
    private final Map<String, ByteArrayOutputStream> data = new HashMap<>();
    private final Set<String> closed = new HashSet<>();
    private final Thread reader;

    StdioMux(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        reader = new Thread(this::readLoop, "stdio-reader");
        reader.setDaemon(true);
        reader.start();
    }

    void send(String id, int kind, int stream, byte[] bytes) throws IOException {
        byte[] idb = id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + idb.length + bytes.length);
        b.putInt(4 + idb.length + bytes.length).put((byte) kind).put((byte) stream).putShort((short) idb.length)
                .put(idb).put(bytes).flip();
        synchronized (this) {
            while (b.hasRemaining()) channel.write(b);
        }
    }

    void stdin(String id, String text) throws IOException {
        send(id, 1, 0, text.getBytes(StandardCharsets.UTF_8));
    }

    void closeStdin(String id) throws IOException {
        send(id, 2, 0, new byte[0]);
    }

    synchronized String output(String id, int stream) {
        ByteArrayOutputStream o = data.get(id + "#" + stream);
        return o == null ? "" : o.toString(StandardCharsets.UTF_8);
    }

    /** waits until the agent sent the close frame of the stream; returns everything written to it */
    synchronized String awaitClosed(String id, int stream, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!closed.contains(id + "#" + stream)) {
            long left = end - System.nanoTime();
            if (left <= 0) throw new AssertionError("stream " + stream + " of " + id + " not closed; so far: " + output(id, stream));
            wait(Math.max(1, left / 1_000_000));
        }
        return output(id, stream);
    }

    synchronized String awaitText(String id, int stream, String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!output(id, stream).contains(text)) {
            long left = end - System.nanoTime();
            if (left <= 0) throw new AssertionError("no '" + text + "' on stream " + stream + " of " + id + "; got: " + output(id, stream));
            wait(Math.max(1, left / 1_000_000));
        }
        return output(id, stream);
    }

    private void readLoop() {
        try {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (true) {
                len.clear();
                readFully(len);
                int n = len.getInt(0);
                if (n < 4 || n > 65536) throw new IOException("bad stdio frame length " + n);
                ByteBuffer f = ByteBuffer.allocate(n);
                readFully(f);
                f.flip();
                int kind = f.get(), stream = f.get(), idLen = f.getShort() & 0xffff;
                byte[] idb = new byte[idLen];
                f.get(idb);
                byte[] rest = new byte[f.remaining()];
                f.get(rest);
                String key = new String(idb, StandardCharsets.UTF_8) + "#" + stream;
                synchronized (this) {
                    if (kind == 1) data.computeIfAbsent(key, k -> new ByteArrayOutputStream()).writeBytes(rest);
                    if (kind == 2) closed.add(key);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // channel closed: the VM went away
        }
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining())
            if (channel.read(b) < 0) throw new IOException("stdio channel closed");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
