package com.example.atrium.process;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Turns the raw output files containers write into CRI log lines
 * ({@code <RFC3339Nano> <stdout|stderr> <F|P> <message>}), on one thread for the whole sandboxer.
 *
 * <p>How far each raw file has been shipped is kept in an offset file beside it, so a new bundle
 * instance (or a restarted node) resumes where the last one stopped. Lines are stamped when they
 * are shipped, within about 100 ms of being written. A crash between writing a line and saving the
 * offset (at most a second apart) repeats those lines; none are lost.
 */
final class CriLogShipper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CriLogShipper.class.getName());
    /** Longer lines are split into partial (P) records, as kubelet expects. */
    static final int MAX_LINE = 16 * 1024;
    private static final int MAX_READ = 1 << 20;
    private static final long OFFSET_SAVE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final DateTimeFormatter RFC3339_NANO =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX").withZone(ZoneOffset.UTC);

    private final ScheduledExecutorService thread;
    /** Touched only on {@link #thread}. */
    private final Map<String, Tail> tails = new HashMap<>();

    CriLogShipper() {
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "process-sandboxer-logs");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::shipAll, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** Starts shipping {@code raw} (one stream of one container) into {@code criLog}. */
    void follow(String key, Path raw, String stream, Path criLog) {
        thread.execute(() -> tails.computeIfAbsent(key, k -> new Tail(raw, raw.resolveSibling(raw.getFileName() + ".offset"),
                stream, criLog)));
    }

    /** Ships what is left, including an unterminated last line, and stops following {@code key}. */
    CompletableFuture<Void> finish(String key) {
        return CompletableFuture.runAsync(() -> {
            Tail t = tails.remove(key);
            if (t != null) {
                t.ship(true);
                t.close();
            }
        }, thread);
    }

    private void shipAll() {
        for (Tail t : tails.values()) {
            t.ship(false);
        }
    }

    /** Ships what is complete, saves every offset and stops the thread; the containers keep writing. */
    @Override
    public void close() {
        try {
            CompletableFuture.runAsync(() -> {
                tails.values().forEach(t -> {
                    t.ship(false);
                    t.close();
                });
                tails.clear();
            }, thread).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "log shipping did not stop cleanly: " + e);
        } finally {
            thread.shutdownNow();
        }
    }

    /** One raw output file and how far it has been shipped. */
    private static final class Tail {
        private final Path raw;
        private final Path offsetFile;
        private final byte[] streamTag;
        private final Path criLog;
        private long offset;
        private long savedOffset;
        private long savedAt = System.nanoTime();
        private FileChannel out;

        Tail(Path raw, Path offsetFile, String stream, Path criLog) {
            this.raw = raw;
            this.offsetFile = offsetFile;
            this.streamTag = (" " + stream + " ").getBytes(StandardCharsets.US_ASCII);
            this.criLog = criLog;
            try {
                offset = Files.exists(offsetFile) ? Long.parseLong(Files.readString(offsetFile).trim()) : 0;
            } catch (IOException | NumberFormatException e) {
                LOG.log(Level.WARNING, "unreadable log offset " + offsetFile + ", shipping " + raw + " from the start: " + e);
                offset = 0;
            }
            savedOffset = offset;
        }

        void ship(boolean eof) {
            try {
                if (!Files.exists(raw)) {
                    return;
                }
                ByteBuffer data;
                try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ)) {
                    long available = in.size() - offset;
                    if (available <= 0) {
                        saveOffset(eof);
                        return;
                    }
                    data = ByteBuffer.allocate((int) Math.min(available, MAX_READ));
                    while (data.hasRemaining() && in.read(data, offset + data.position()) > 0) {
                        // read until the buffer is full or the file ends
                    }
                    data.flip();
                }
                offset += writeLines(data, eof);
                saveOffset(eof);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot ship " + raw + " to " + criLog + ": " + e.getMessage());
            }
        }

        /** Writes every complete line (and the rest too at eof); returns the bytes consumed. */
        private int writeLines(ByteBuffer data, boolean eof) throws IOException {
            byte[] b = data.array();
            int len = data.limit();
            int start = 0;
            byte[] stamp = RFC3339_NANO.format(Instant.now()).getBytes(StandardCharsets.US_ASCII);
            ByteBuffer lines = ByteBuffer.allocate(len + 4096); // grows in record() when lines are many
            while (start < len) {
                int nl = indexOf(b, start, len, (byte) '\n');
                int end = nl < 0 ? len : nl;
                while (end - start > MAX_LINE) {
                    lines = record(lines, stamp, 'P', b, start, MAX_LINE);
                    start += MAX_LINE;
                }
                if (nl < 0 && !eof) {
                    break; // an unfinished line waits for its end (or for the process to exit)
                }
                if (end > start || nl >= 0) {
                    lines = record(lines, stamp, 'F', b, start, end - start);
                }
                start = nl < 0 ? len : nl + 1;
            }
            lines.flip();
            if (lines.hasRemaining()) {
                if (out == null) {
                    Files.createDirectories(criLog.toAbsolutePath().getParent());
                    out = FileChannel.open(criLog, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                }
                while (lines.hasRemaining()) {
                    out.write(lines);
                }
            }
            return start;
        }

        private ByteBuffer record(ByteBuffer lines, byte[] stamp, char tag, byte[] b, int from, int length) {
            int need = stamp.length + streamTag.length + 3 + length;
            if (lines.remaining() < need) {
                ByteBuffer bigger = ByteBuffer.allocate(lines.capacity() * 2 + need);
                lines.flip();
                bigger.put(lines);
                lines = bigger;
            }
            lines.put(stamp).put(streamTag).put((byte) tag).put((byte) ' ').put(b, from, length).put((byte) '\n');
            return lines;
        }

        private void saveOffset(boolean now) {
            if (offset == savedOffset || (!now && System.nanoTime() - savedAt < OFFSET_SAVE_NANOS)) {
                return;
            }
            try {
                AtomicFiles.write(offsetFile, Long.toString(offset).getBytes(StandardCharsets.US_ASCII));
                savedOffset = offset;
                savedAt = System.nanoTime();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot save log offset " + offsetFile + ": " + e.getMessage());
            }
        }

        void close() {
            saveOffset(true);
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "cannot close " + criLog + ": " + e.getMessage());
                }
                out = null;
            }
        }

        private static int indexOf(byte[] b, int from, int to, byte v) {
            for (int i = from; i < to; i++) {
                if (b[i] == v) {
                    return i;
                }
            }
            return -1;
        }
    }
}
