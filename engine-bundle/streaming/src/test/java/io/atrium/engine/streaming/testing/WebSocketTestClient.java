package io.atrium.engine.streaming.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A WebSocket client with Kubernetes' channel framing, as client-go's WebSocket executor and
 * kubectl speak it: masked frames, a channel byte before each payload (an ASCII digit and base64 in
 * the base64 subprotocols), and with v5 {@code [255, n]} to close channel n.
 */
public final class WebSocketTestClient implements AutoCloseable {
    private final FrameSocket socket;
    private final boolean base64;
    private final Map<Integer, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> messages = new ConcurrentHashMap<>();
    private volatile boolean closeFrame;
    private volatile boolean pong;

    private WebSocketTestClient(FrameSocket socket) {
        this.socket = socket;
        String p = protocol();
        this.base64 = p != null && p.contains("base64");
        socket.startReading(this::onFrame, this::wake);
    }

    /** Handshakes with the given subprotocols (none: no Sec-WebSocket-Protocol header). */
    public static WebSocketTestClient connect(URI url, String... subprotocols) throws IOException {
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        StringBuilder head = new StringBuilder("GET " + url.getRawPath()
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()) + " HTTP/1.1\r\n");
        head.append("Host: ").append(url.getHost()).append(':').append(url.getPort()).append("\r\n");
        head.append("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
        head.append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n");
        if (subprotocols.length > 0) {
            head.append("Sec-WebSocket-Protocol: ").append(String.join(", ", subprotocols)).append("\r\n");
        }
        head.append("\r\n");
        return new WebSocketTestClient(FrameSocket.upgrade(url, head.toString(),
                () -> new WebSocket13FrameEncoder(true), () -> new WebSocket13FrameDecoder(false, false, 16 * 1024 * 1024)));
    }

    public String protocol() {
        return socket.response.header("Sec-WebSocket-Protocol");
    }

    private synchronized void wake() {
        notifyAll();
    }

    private void onFrame(Object f) {
        if (f instanceof CloseWebSocketFrame) {
            closeFrame = true;
        } else if (f instanceof PongWebSocketFrame) {
            pong = true;
        } else if (f instanceof BinaryWebSocketFrame || f instanceof TextWebSocketFrame) {
            byte[] all = new byte[((WebSocketFrame) f).content().readableBytes()];
            ((WebSocketFrame) f).content().readBytes(all);
            if (all.length == 0) {
                return;
            }
            int ch = base64 ? all[0] - '0' : all[0] & 0xff;
            byte[] payload = java.util.Arrays.copyOfRange(all, 1, all.length);
            if (base64) {
                payload = Base64.getDecoder().decode(new String(payload, StandardCharsets.US_ASCII));
            }
            synchronized (this) {
                received.computeIfAbsent(ch, k -> new ByteArrayOutputStream()).writeBytes(payload);
                messages.merge(ch, 1, Integer::sum);
                notifyAll();
            }
        }
    }

    public void send(int channel, byte[] data) throws IOException {
        if (base64) {
            String text = (char) ('0' + channel) + Base64.getEncoder().encodeToString(data);
            socket.send(new TextWebSocketFrame(text));
        } else {
            byte[] all = new byte[data.length + 1];
            all[0] = (byte) channel;
            System.arraycopy(data, 0, all, 1, data.length);
            socket.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(all)));
        }
    }

    public void send(int channel, String text) throws IOException {
        send(channel, text.getBytes(StandardCharsets.UTF_8));
    }

    /** v5: closes our side of {@code channel} (stdin end-of-file). */
    public void closeChannel(int channel) throws IOException {
        socket.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, (byte) channel})));
    }

    /** A whole binary message as given (malformed framing tests). */
    public void sendMessage(byte[] message) throws IOException {
        socket.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message)));
    }

    public void sendRaw(byte[] bytes) throws IOException {
        socket.sendRaw(bytes);
    }

    public void ping() throws IOException {
        socket.send(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
    }

    public boolean ponged() {
        return pong;
    }

    public synchronized byte[] bytes(int channel) {
        ByteArrayOutputStream b = received.get(channel);
        return b == null ? new byte[0] : b.toByteArray();
    }

    public String text(int channel) {
        return new String(bytes(channel), StandardCharsets.UTF_8);
    }

    public int messages(int channel) {
        return messages.getOrDefault(channel, 0);
    }

    /** Waits until channel {@code ch} holds at least {@code n} bytes, or the connection ends. */
    public synchronized byte[] awaitBytes(int ch, int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (bytes(ch).length < n && !socket.isClosed() && System.nanoTime() < end) {
            wait(50);
        }
        return bytes(ch);
    }

    public synchronized String awaitText(int ch, String needle, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!text(ch).contains(needle) && !socket.isClosed() && System.nanoTime() < end) {
            wait(50);
        }
        return text(ch);
    }

    /** Waits for the server to close the connection; true if it did. */
    public synchronized boolean awaitClosed(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!socket.isClosed() && System.nanoTime() < end) {
            wait(50);
        }
        return socket.isClosed();
    }

    public boolean sawCloseFrame() {
        return closeFrame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
