package io.atrium.engine.streaming.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A SPDY/3.1 client as client-go's remotecommand and port-forward speak it: an HTTP upgrade with one
 * {@code X-Stream-Protocol-Version} header per protocol, then client streams with odd increasing
 * ids, lower-case headers ({@code streamtype}, {@code port}, {@code requestid}), data frames, FIN
 * for end of input. Like Go's spdystream it never sends WINDOW_UPDATE.
 */
public final class SpdyTestClient implements AutoCloseable {
    private final FrameSocket socket;
    private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
    private int nextId = 1;
    private volatile boolean goAway;
    private volatile int pings;

    private SpdyTestClient(FrameSocket socket, boolean reading) {
        this.socket = socket;
        if (reading) {
            socket.startReading(this::onFrame, () -> streams.values().forEach(Stream::ended));
        }
    }

    public static SpdyTestClient connect(URI url, String... protocols) throws IOException {
        return connect(url, true, protocols);
    }

    /** With {@code reading} false the client never reads a byte: a client that stalls the server's output. */
    public static SpdyTestClient connect(URI url, boolean reading, String... protocols) throws IOException {
        StringBuilder head = new StringBuilder("POST " + url.getRawPath() + " HTTP/1.1\r\n");
        head.append("Host: ").append(url.getHost()).append(':').append(url.getPort()).append("\r\n");
        head.append("Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n");
        for (String p : protocols) {
            head.append("X-Stream-Protocol-Version: ").append(p).append("\r\n");
        }
        head.append("\r\n");
        return new SpdyTestClient(FrameSocket.upgrade(url, head.toString(),
                () -> new SpdyFrameCodec(SpdyVersion.SPDY_3_1), () -> new SpdyFrameCodec(SpdyVersion.SPDY_3_1)), reading);
    }

    /** The protocol the server chose. */
    public String protocol() {
        return socket.response.header("X-Stream-Protocol-Version");
    }

    private void onFrame(Object f) {
        if (f instanceof SpdySynReplyFrame r) {
            Stream s = streams.get(r.streamId());
            if (s != null) {
                s.replied();
            }
        } else if (f instanceof SpdyDataFrame d) {
            Stream s = streams.get(d.streamId());
            if (s != null) {
                byte[] b = new byte[d.content().readableBytes()];
                d.content().readBytes(b);
                s.received(b, d.isLast());
            }
        } else if (f instanceof SpdyRstStreamFrame r) {
            Stream s = streams.get(r.streamId());
            if (s != null) {
                s.reset = true;
                s.ended();
            }
        } else if (f instanceof SpdyGoAwayFrame) {
            goAway = true;
        } else if (f instanceof SpdyPingFrame) {
            pings++;
        }
    }

    /** Opens a stream with the given header pairs, e.g. {@code "streamtype", "stdout"}. */
    public synchronized Stream open(String... headers) throws IOException {
        int id = nextId;
        nextId += 2;
        DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            syn.headers().add(headers[i], headers[i + 1]);
        }
        Stream s = new Stream(id);
        streams.put(id, s);
        socket.send(syn);
        return s;
    }

    public void ping(int id) throws IOException {
        socket.send(new DefaultSpdyPingFrame(id));
    }

    public int pongs() {
        return pings;
    }

    /** Bytes straight onto the connection (malformed frames). */
    public void sendRaw(byte[] bytes) throws IOException {
        socket.sendRaw(bytes);
    }

    public boolean goneAway() {
        return goAway;
    }

    /** Waits for the server to close the connection. */
    public boolean awaitClosed(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!socket.isClosed() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        return socket.isClosed();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** One client stream: what the server sent on it, and our side of it. */
    public final class Stream {
        public final int id;
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private boolean fin;
        private boolean ended;
        private boolean reply;
        volatile boolean reset;

        Stream(int id) {
            this.id = id;
        }

        synchronized void replied() {
            reply = true;
            notifyAll();
        }

        synchronized void received(byte[] b, boolean last) {
            data.writeBytes(b);
            fin |= last;
            notifyAll();
        }

        synchronized void ended() {
            ended = true;
            notifyAll();
        }

        public void write(byte[] bytes) throws IOException {
            socket.send(new DefaultSpdyDataFrame(id, Unpooled.wrappedBuffer(bytes)));
        }

        public void write(String text) throws IOException {
            write(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Ends our side (FIN), as client-go does at the end of stdin. */
        public void finish() throws IOException {
            socket.send(new DefaultSpdyDataFrame(id).setLast(true));
        }

        public void resetStream() throws IOException {
            socket.send(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.CANCEL));
        }

        public synchronized boolean awaitReply(Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!reply && !reset && !ended && System.nanoTime() < end) {
                wait(50);
            }
            return reply;
        }

        public boolean wasReset() {
            return reset;
        }

        /** Everything until the server's FIN or the connection's end (or the timeout). */
        public synchronized String readAll(Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!fin && !ended && System.nanoTime() < end) {
                wait(50);
            }
            return data.toString(StandardCharsets.UTF_8);
        }

        public synchronized boolean finished() {
            return fin;
        }

        /** Waits until what arrived contains {@code text}; returns all that arrived. */
        public synchronized String readUntil(String text, Duration timeout) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!data.toString(StandardCharsets.UTF_8).contains(text) && !fin && !ended && System.nanoTime() < end) {
                wait(50);
            }
            return data.toString(StandardCharsets.UTF_8);
        }

        public synchronized byte[] bytes() {
            return data.toByteArray();
        }
    }
}
