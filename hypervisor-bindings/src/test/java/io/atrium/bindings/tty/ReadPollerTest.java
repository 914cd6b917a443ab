package io.atrium.bindings.tty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One thread reading several FIFOs: data, end-of-file after the writer left, cancel, idle thread ends. */
class ReadPollerTest {
    @TempDir
    Path dir;

    static final class Collect implements ReadPoller.Handler {
        final StringBuffer text = new StringBuffer();
        final CompletableFuture<String> ended = new CompletableFuture<>();

        @Override
        public void data(byte[] data, int length) {
            text.append(new String(data, 0, length, StandardCharsets.UTF_8));
        }

        @Override
        public void end() {
            ended.complete(text.toString());
        }
    }

    private Path fifo(String name) throws Exception {
        Path f = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", f.toString()).start().waitFor());
        return f;
    }

    @Test
    void twoFifosOnOneThreadEndAfterTheirWritersLeftAndTheThreadThenStops() throws Exception {
        ReadPoller poller = new ReadPoller("test-poller");
        Path a = fifo("a");
        Path b = fifo("b");
        Collect ca = new Collect();
        Collect cb = new Collect();
        poller.register(ReadPoller.openFifo(a), ca); // before any writer: no end-of-file yet
        poller.register(ReadPoller.openFifo(b), cb);
        Thread.sleep(100);
        assertFalse(ca.ended.isDone(), "a FIFO that never had a writer has not ended");
        try (OutputStream wa = Files.newOutputStream(a, StandardOpenOption.WRITE);
                OutputStream wb = Files.newOutputStream(b, StandardOpenOption.WRITE)) {
            wa.write("one ".getBytes(StandardCharsets.UTF_8));
            wb.write("two".getBytes(StandardCharsets.UTF_8));
            wa.write("three".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("one three", ca.ended.get(10, TimeUnit.SECONDS));
        assertEquals("two", cb.ended.get(10, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (threads("test-poller") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, threads("test-poller"), "the idle poller thread ends");
        assertEquals(0, poller.size());
    }

    @Test
    void cancelEndsTheRegistrationAndLeavesUnreadDataInTheFifo() throws Exception {
        ReadPoller poller = new ReadPoller("test-poller-2");
        Path f = fifo("c");
        Collect c = new Collect();
        // a writer that is also a reader, as a container holds its FIFOs
        try (var rw = java.nio.channels.FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ReadPoller.Registration r = poller.register(ReadPoller.openFifo(f), c);
            rw.write(java.nio.ByteBuffer.wrap("first".getBytes(StandardCharsets.UTF_8)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!c.text.toString().equals("first") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            r.cancel().get(5, TimeUnit.SECONDS);
            assertEquals("first", c.ended.get(1, TimeUnit.SECONDS));
            rw.write(java.nio.ByteBuffer.wrap("later".getBytes(StandardCharsets.UTF_8)));
            java.nio.ByteBuffer left = java.nio.ByteBuffer.allocate(16);
            rw.read(left);
            assertEquals("later", new String(left.array(), 0, left.position(), StandardCharsets.UTF_8),
                    "what nobody read stays in the FIFO for the next reader");
        }
        assertTrue(c.ended.isDone());
    }

    private static long threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }
}
