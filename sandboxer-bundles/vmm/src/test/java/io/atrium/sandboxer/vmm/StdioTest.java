package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.atrium.sandboxer.vmm.stdio.CriLogWriter;
import io.atrium.sandboxer.vmm.stdio.StdioFrame;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stdio multiplex frame format of VMM-CONTRACT.md and the CRI log lines written from it. */
class StdioTest {
    @TempDir
    Path dir;

    @Test
    void aFrameIsLengthKindStreamIdLengthIdAndData() throws IOException {
        ByteBuffer b = new StdioFrame(StdioFrame.DATA, StdioFrame.STDERR, "c1/e1", "hi".getBytes(StandardCharsets.UTF_8))
                .encode();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        // length 11 = 1 kind + 1 stream + 2 id length + 5 id + 2 data
        assertEquals("0000000b" + "01" + "02" + "0005" + "63312f6531" + "6869", HexFormat.of().formatHex(bytes));
        StdioFrame back = StdioFrame.read(new DataInputStream(new ByteArrayInputStream(bytes)));
        assertEquals("c1/e1", back.id());
        assertEquals(StdioFrame.STDERR, back.stream());
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), back.data());
    }

    @Test
    void oversizedOrInconsistentFramesAreRejected() {
        byte[] tooLong = HexFormat.of().parseHex("00100001" + "01010000");
        assertThrows(IOException.class, () -> StdioFrame.read(new DataInputStream(new ByteArrayInputStream(tooLong))));
        byte[] badId = HexFormat.of().parseHex("00000006" + "0101" + "0009" + "6869");
        assertThrows(IOException.class, () -> StdioFrame.read(new DataInputStream(new ByteArrayInputStream(badId))));
        assertThrows(IllegalArgumentException.class, () -> new StdioFrame(StdioFrame.DATA, 1, "c",
                new byte[StdioFrame.MAX_PAYLOAD]).encode());
    }

    @Test
    void criLogLinesAreTimestampedTaggedAndJoinedAcrossFrames() throws IOException {
        Path log = dir.resolve("c.log");
        Clock clock = Clock.fixed(Instant.parse("2026-11-26T01:02:03.000000004Z"), ZoneOffset.UTC);
        try (CriLogWriter w = new CriLogWriter(log, clock)) {
            w.write(StdioFrame.STDOUT, "hel".getBytes(StandardCharsets.UTF_8));
            w.write(StdioFrame.STDOUT, "lo\nwor".getBytes(StandardCharsets.UTF_8));
            w.write(StdioFrame.STDERR, "err\n".getBytes(StandardCharsets.UTF_8));
            w.endOfStream(StdioFrame.STDOUT);
        }
        assertEquals("""
                2026-11-26T01:02:03.000000004Z stdout F hello
                2026-11-26T01:02:03.000000004Z stderr F err
                2026-11-26T01:02:03.000000004Z stdout F wor
                """, Files.readString(log));
    }
}
