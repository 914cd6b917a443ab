package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
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
 * A container log in the CRI format kubelet reads: {@code <RFC3339Nano> <stdout|stderr> <P|F> <message>\n}.
 * Both streams of a container share one writer; {@link #reopen()} serves kubelet's log rotation
 * (ReopenContainerLog) by closing the file and opening it again at the same path.
 */
public final class CriLogWriter implements AutoCloseable {
    private static final DateTimeFormatter RFC3339_NANO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX").withZone(ZoneOffset.UTC);

    private final Path path;
    private final Clock clock;
    private FileChannel file;

    public CriLogWriter(Path path, Clock clock) throws IOException {
        this.path = path;
        this.clock = clock;
        this.file = open();
    }

    public Path path() {
        return path;
    }

    private FileChannel open() throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** Writes one log entry; {@code partial} marks a line that continues in the next entry. */
    public synchronized void write(String stream, boolean partial, byte[] message, int offset, int length) throws IOException {
        if (file == null) {
            return; // closed: the container outlives the writer (bundle swap); the next instance writes on
        }
        byte[] head = (RFC3339_NANO.format(clock.instant()) + " " + stream + " " + (partial ? "P" : "F") + " ")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer entry = ByteBuffer.allocate(head.length + length + 1);
        entry.put(head).put(message, offset, length).put((byte) '\n').flip();
        while (entry.hasRemaining()) {
            file.write(entry);
        }
    }

    /** Closes and reopens the file, e.g. after kubelet renamed it for rotation. */
    public synchronized void reopen() throws IOException {
        if (file != null) {
            file.close();
        }
        file = open();
    }

    @Override
    public synchronized void close() throws IOException {
        if (file != null) {
            file.close();
            file = null;
        }
    }
}
