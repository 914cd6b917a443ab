package io.atrium.engine.streaming.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.streaming.StreamOptions;
import io.atrium.engine.streaming.testing.ChannelStatus;
import io.atrium.sandbox.api.SandboxException;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pieces under the protocols: tokens, settings, status JSON, resize decoding, inbound pipes. */
class ProtocolPiecesTest {

    @Test
    void tokensExpireAreSingleUseAndBounded() {
        AtomicLong now = new AtomicLong(1_000);
        TokenCache cache = new TokenCache(Duration.ofSeconds(60), 3, now::get);
        String a = cache.insert("a");
        String b = cache.insert("b");
        assertEquals(22, a.length(), "128 bits, URL-safe base64 without padding");
        assertEquals("a", cache.consume(a).orElseThrow());
        assertTrue(cache.consume(a).isEmpty(), "a token works once");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertTrue(cache.consume(b).isEmpty(), "an expired token is refused");
        cache.insert("c");
        cache.insert("d");
        cache.insert("e");
        var full = assertThrows(SandboxException.class, () -> cache.insert("f"));
        assertEquals(SandboxException.Reason.RESOURCE_EXHAUSTED, full.reason());
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        cache.insert("g"); // expired entries are purged on insert
        assertEquals(1, cache.size());
    }

    @Test
    void settingsParseAddressesAndRefuseBadValues() {
        StreamingSettings d = StreamingSettings.from(k -> null);
        assertEquals("127.0.0.1", d.address().getHostString());
        assertEquals(0, d.address().getPort());
        assertEquals(Duration.ofSeconds(60), d.tokenTtl());
        assertFalse(d.tls());
        assertEquals(10010, StreamingSettings.from(Map.of(StreamingSettings.ADDRESS, "0.0.0.0:10010")::get).address().getPort());
        assertTrue(StreamingSettings.from(Map.of(StreamingSettings.ADDRESS, "[::1]:5")::get).address().getAddress().isLoopbackAddress());
        for (String bad : List.of("127.0.0.1:99999", ":80", "[::1", "host:x")) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> StreamingSettings.from(Map.of(StreamingSettings.ADDRESS, bad)::get), bad);
            assertTrue(e.getMessage().contains(StreamingSettings.ADDRESS), e.getMessage());
        }
        var ttl = assertThrows(IllegalArgumentException.class,
                () -> StreamingSettings.from(Map.of(StreamingSettings.TOKEN_TTL, "0")::get));
        assertTrue(ttl.getMessage().contains(StreamingSettings.TOKEN_TTL));
        var tls = assertThrows(IllegalArgumentException.class,
                () -> StreamingSettings.from(Map.of(StreamingSettings.TLS_CERT, "/x.pem")::get));
        assertTrue(tls.getMessage().contains("together"));
    }

    @Test
    void statusJsonIsWhatClientGoDecodes() throws Exception {
        String fail = new String(StatusMessages.exitCode(true, 42, "sh -c x"), StandardCharsets.UTF_8);
        assertEquals(42, ChannelStatus.exitCode(fail));
        JsonNode f = new ObjectMapper().readTree(fail);
        assertTrue(f.has("metadata"));
        assertEquals("ExitCode", f.path("details").path("causes").get(0).path("reason").asText());
        assertEquals(0, ChannelStatus.exitCode(new String(StatusMessages.success(true), StandardCharsets.UTF_8)));
        assertEquals(0, StatusMessages.success(false).length, "before v4 success is silence");
        JsonNode internal = new ObjectMapper().readTree(StatusMessages.internalError(true, "boom \"quoted\""));
        assertEquals(500, internal.path("code").asInt());
        assertEquals("InternalError", internal.path("reason").asText());
        assertEquals("boom \"quoted\"", internal.path("details").path("causes").get(0).path("message").asText());
    }

    @Test
    void resizeStreamIsDecodedUntilTheFirstBadValue() throws Exception {
        List<String> seen = new ArrayList<>();
        String input = "{\"Width\":80,\"Height\":24}\n{\"width\":1,\"HEIGHT\":2} {\"Width\":-1,\"Height\":3}{\"Width\":9,\"Height\":9}";
        TerminalSizes.read(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), (w, h) -> seen.add(w + "x" + h));
        assertEquals(List.of("80x24", "1x2"), seen);
        List<String> garbage = new ArrayList<>();
        assertThrows(Exception.class, () -> TerminalSizes.read(
                new ByteArrayInputStream("{\"Width\":5,".getBytes(StandardCharsets.UTF_8)), (w, h) -> garbage.add(w + "x" + h)));
        assertTrue(garbage.isEmpty());
    }

    @Test
    void streamOptionsRefuseWhatKubeletRefuses() {
        assertThrows(SandboxException.class, () -> new StreamOptions(true, true, true, true));
        assertThrows(SandboxException.class, () -> new StreamOptions(false, false, false, false));
    }

    @Test
    void aFullInboundPipeStopsReadingTheConnectionUntilDrained() {
        EmbeddedChannel ch = new EmbeddedChannel();
        InboundPipe pipe = new InboundPipe(new ReadGate(ch));
        assertTrue(ch.config().isAutoRead());
        pipe.offer(Unpooled.wrappedBuffer(new byte[InboundPipe.HIGH]));
        assertFalse(ch.config().isAutoRead(), "above the high mark the connection is not read");
        ByteBuffer buf = ByteBuffer.allocate(InboundPipe.HIGH - InboundPipe.LOW);
        assertEquals(buf.capacity(), pipe.read(buf));
        assertTrue(ch.config().isAutoRead(), "drained to the low mark: reading again");
        pipe.finish();
        ByteBuffer rest = ByteBuffer.allocate(InboundPipe.HIGH);
        assertEquals(InboundPipe.LOW, pipe.read(rest));
        assertEquals(-1, pipe.read(rest), "after the client's end, end-of-file");
        pipe.close();
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeldEndReachesTheReaderOnlyWhenReleased() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        InboundPipe pipe = new InboundPipe(new ReadGate(ch));
        pipe.holdEnd();
        pipe.offer(Unpooled.wrappedBuffer(new byte[] {'x'}));
        pipe.finish();
        ByteBuffer b = ByteBuffer.allocate(8);
        assertEquals(1, pipe.read(b), "queued data is read while the end is held");
        java.util.concurrent.CompletableFuture<Integer> next = java.util.concurrent.CompletableFuture.supplyAsync(() -> pipe.read(b));
        Thread.sleep(200);
        assertFalse(next.isDone(), "the reader waits instead of seeing end-of-file");
        pipe.releaseEnd();
        assertEquals(-1, next.get(10, java.util.concurrent.TimeUnit.SECONDS));
        ch.finishAndReleaseAll();
    }

    @Test
    void webSocketFramingRoutesChannelsAndTheV5CloseSignal() {
        EmbeddedChannel ch = new EmbeddedChannel();
        WebSocketChannels ws = new WebSocketChannels(ch, new boolean[] {true, false, false, false, true}, false, true);
        ch.pipeline().addLast(ws);
        ch.writeInbound(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(
                Unpooled.wrappedBuffer(new byte[] {0, 'h', 'i'})));
        ch.writeInbound(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(
                Unpooled.wrappedBuffer(new byte[] {1, 'x'}))); // stdout is not readable: dropped
        ch.writeInbound(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(
                Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
        ByteBuffer b = ByteBuffer.allocate(10);
        assertEquals(2, ws.in(0).read(b));
        assertEquals(-1, ws.in(0).read(b), "the close signal ended stdin");
        ws.out(1).write("out".getBytes(StandardCharsets.UTF_8));
        io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame f = ch.readOutbound();
        assertEquals("\u0001out", f.content().toString(StandardCharsets.ISO_8859_1));
        f.release();
        assertTrue(ch.isActive());
        ch.writeInbound(new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(
                Unpooled.wrappedBuffer(new byte[] {(byte) 255, 9})));
        assertFalse(ch.isActive(), "a close signal for a channel that does not exist ends the connection");
        ch.finishAndReleaseAll();
    }
}
