package io.atrium.sandboxer.vmm.stdio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;

/**
 * Writes a container's output in the CRI log format, one line per line of output:
 * {@code <RFC 3339 nano timestamp> <stdout|stderr> <F|P> <text>}. Text without a newline is held per
 * stream until the line completes; a line longer than {@link #MAX_LINE} is written in parts tagged
 * {@code P}. The file is reopened on request after the kubelet rotated it.
 */
public final class CriLogWriter implements AutoCloseable {
    static final int MAX_LINE = 16 * 1024;
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnnXXX")
            .withZone(ZoneOffset.UTC);

    private final Path path;
    private final Clock clock;
    private final StringBuilder[] pending = {new StringBuilder(), new StringBuilder()};
    private FileChannel file;

    public CriLogWriter(Path path, Clock clock) throws IOException {
        this.path = path;
        this.clock = clock;
        this.file = open(path);
    }

    private static FileChannel open(Path path) throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** Appends output of stream 1 (stdout) or 2 (stderr). */
    public synchronized void write(int stream, byte[] data) throws IOException {
        StringBuilder buf = pending[stream == StdioFrame.STDERR ? 1 : 0];
        // decoding per chunk may split a multi-byte character across frames; CRI logs are text, and
        // the guest sends whole writes of the process, so this is rare and only affects that character
        buf.append(new String(data, StandardCharsets.UTF_8));
        int nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
            line(stream, "F", buf.substring(0, nl));
            buf.delete(0, nl + 1);
        }
        while (buf.length() >= MAX_LINE) {
            line(stream, "P", buf.substring(0, MAX_LINE));
            buf.delete(0, MAX_LINE);
        }
    }

    /** The stream ended: what is left becomes a final line. */
    public synchronized void endOfStream(int stream) throws IOException {
        StringBuilder buf = pending[stream == StdioFrame.STDERR ? 1 : 0];
        if (buf.length() > 0) {
            line(stream, "F", buf.toString());
            buf.setLength(0);
        }
    }

    private void line(int stream, String tag, String text) throws IOException {
        String s = TS.format(clock.instant()) + " " + (stream == StdioFrame.STDERR ? "stderr" : "stdout") + " " + tag + " "
                + text + "\n";
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            file.write(b);
        }
    }

    /** Closes and reopens the file at the same path (CRI ReopenContainerLog). */
    public synchronized void reopen() throws IOException {
        file.close();
        file = open(path);
    }

    @Override
    public synchronized void close() throws IOException {
        endOfStream(StdioFrame.STDOUT);
        endOfStream(StdioFrame.STDERR);
        file.close();
    }
}
