package io.atrium.sandboxer.wasm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A container log file in the CRI format kubelet reads:
 * {@code <RFC3339Nano> <stdout|stderr> <P|F> <message>\n}. Both streams of a container share one
 * file; each entry is written with one append so lines of the two streams never interleave.
 */
final class CriLog implements AutoCloseable {
    /** Lines longer than this are split into partial (P) entries, as containerd does. */
    static final int MAX_LINE = 16 * 1024;
    private static final DateTimeFormatter RFC3339_NANO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX").withZone(ZoneOffset.UTC);

    private final Path path;
    private final Clock clock;
    private FileChannel file;

    CriLog(Path path, Clock clock) throws IOException {
        this.path = path;
        this.clock = clock;
        Files.createDirectories(path.toAbsolutePath().getParent());
        this.file = open();
    }

    private FileChannel open() throws IOException {
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** Closes and opens the file again at the same path, after kubelet rotated it (ReopenContainerLog). */
    synchronized void reopen() throws IOException {
        if (file.isOpen()) {
            file.close();
            file = open();
        }
    }

    synchronized void write(String stream, boolean partial, byte[] message, int offset, int length) throws IOException {
        if (!file.isOpen()) {
            return;
        }
        byte[] head = (RFC3339_NANO.format(clock.instant()) + " " + stream + (partial ? " P " : " F "))
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuffer entry = ByteBuffer.allocate(head.length + length + 1);
        entry.put(head).put(message, offset, length).put((byte) '\n').flip();
        while (entry.hasRemaining()) {
            file.write(entry);
        }
    }

    /** One of the container's output streams, cut into log entries at newlines. */
    OutputStream stream(String name) {
        return new LineStream(name);
    }

    @Override
    public synchronized void close() throws IOException {
        file.close();
    }

    private final class LineStream extends OutputStream {
        private final String name;
        private final byte[] pending = new byte[MAX_LINE];
        private int used;

        LineStream(String name) {
            this.name = name;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] data, int offset, int length) throws IOException {
            int start = offset;
            int end = offset + length;
            for (int i = offset; i < end; i++) {
                if (data[i] == '\n') {
                    emit(data, start, i - start, false);
                    start = i + 1;
                }
            }
            // keep the unfinished tail for the next write
            while (start < end) {
                int n = Math.min(end - start, MAX_LINE - used);
                System.arraycopy(data, start, pending, used, n);
                used += n;
                start += n;
                if (used == MAX_LINE) {
                    CriLog.this.write(name, true, pending, 0, used);
                    used = 0;
                }
            }
        }

        /** Writes one finished line: what is pending plus {@code data[offset, offset+length)}. */
        private void emit(byte[] data, int offset, int length, boolean partial) throws IOException {
            if (used == 0 && length <= MAX_LINE) {
                CriLog.this.write(name, partial, data, offset, length);
                return;
            }
            byte[] line = new byte[used + length];
            System.arraycopy(pending, 0, line, 0, used);
            System.arraycopy(data, offset, line, used, length);
            used = 0;
            for (int at = 0; at < line.length; at += MAX_LINE) {
                int n = Math.min(MAX_LINE, line.length - at);
                CriLog.this.write(name, partial || at + n < line.length, line, at, n);
            }
        }

        /** A last line without a newline is logged as partial, as containerd does. */
        @Override
        public synchronized void close() throws IOException {
            if (used > 0) {
                CriLog.this.write(name, true, pending, 0, used);
                used = 0;
            }
        }
    }
}
