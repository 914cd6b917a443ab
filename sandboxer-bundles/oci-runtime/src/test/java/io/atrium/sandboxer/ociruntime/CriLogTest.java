package io.atrium.sandboxer.ociruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRI log lines as kubelet parses them: timestamp, stream, P/F tag, message. */
class CriLogTest {
    @TempDir
    Path dir;

    @Test
    void fullLinesArePartialsSplitAndTaggedAndTheTailIsFlushed() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-11-26T01:02:03.000000042Z"), ZoneOffset.UTC);
        Path file = dir.resolve("logs/c.log");
        try (CriLogWriter log = new CriLogWriter(file, clock)) {
            OutputSink out = new OutputSink.CriLog(log, "stdout");
            OutputSink err = new OutputSink.CriLog(log, "stderr");
            byte[] a = "one\ntw".getBytes(StandardCharsets.UTF_8);
            out.write(a, a.length);
            byte[] b = "o\n".getBytes(StandardCharsets.UTF_8);
            out.write(b, b.length);
            byte[] e = "oops\n".getBytes(StandardCharsets.UTF_8);
            err.write(e, e.length);
            byte[] tail = "no newline".getBytes(StandardCharsets.UTF_8);
            out.write(tail, tail.length);
            out.finish();
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(List.of("2026-11-26T01:02:03.000000042Z stdout F one", "2026-11-26T01:02:03.000000042Z stdout F two",
                "2026-11-26T01:02:03.000000042Z stderr F oops", "2026-11-26T01:02:03.000000042Z stdout P no newline"), lines);
    }

    @Test
    void reopenStartsAFreshFileAfterRotation() throws Exception {
        Path file = dir.resolve("c.log");
        try (CriLogWriter log = new CriLogWriter(file, Clock.systemUTC())) {
            log.write("stdout", false, "before".getBytes(), 0, 6);
            Files.move(file, dir.resolve("c.log.1"));
            log.reopen();
            log.write("stdout", false, "after".getBytes(), 0, 5);
        }
        assertTrue(Files.readString(dir.resolve("c.log.1")).endsWith(" stdout F before\n"));
        assertTrue(Files.readString(file).endsWith(" stdout F after\n"));
    }
}
