package io.atrium.engine.streaming.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A client connection after its HTTP upgrade: a plain blocking socket whose bytes are framed by
 * Netty codecs run in {@link EmbeddedChannel}s (one per direction, each with its own compression
 * state), so a test controls every byte it sends, may send broken ones, and may stop reading.
 */
final class FrameSocket implements AutoCloseable {
    final Socket socket;
    final RawHttp.Response response;
    private final OutputStream out;
    private final InputStream in;
    private final EmbeddedChannel encoder;
    private final EmbeddedChannel decoder;
    private volatile boolean closed;
    private Thread reader;

    private FrameSocket(Socket socket, RawHttp.Response response, ChannelHandler encoder, ChannelHandler decoder)
            throws IOException {
        this.socket = socket;
        this.response = response;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
        this.encoder = new EmbeddedChannel(encoder);
        this.decoder = new EmbeddedChannel(decoder);
    }

    /** Sends the upgrade request; on a 101 returns the framed socket, else throws with the response. */
    static FrameSocket upgrade(URI url, String requestHead, Supplier<ChannelHandler> encoder,
            Supplier<ChannelHandler> decoder) throws IOException {
        Socket s = new Socket(url.getHost(), url.getPort());
        s.setSoTimeout(0);
        s.getOutputStream().write(requestHead.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        RawHttp.Response r;
        try {
            r = RawHttp.read(s.getInputStream());
        } catch (IOException e) {
            s.close();
            throw e;
        }
        if (r.status() != 101) {
            s.close();
            throw new UpgradeRefused(r);
        }
        return new FrameSocket(s, r, encoder.get(), decoder.get());
    }

    /** Starts a thread that decodes frames and hands each to {@code onFrame}; {@code onClose} runs at the end. */
    void startReading(Consumer<Object> onFrame, Runnable onClose) {
        reader = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    decoder.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
                    Object f;
                    while ((f = decoder.readInbound()) != null) {
                        try {
                            onFrame.accept(f);
                        } finally {
                            ReferenceCountUtil.release(f);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the connection ended
            } finally {
                closed = true;
                onClose.run();
            }
        }, "test-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    synchronized void send(Object frame) throws IOException {
        encoder.writeOutbound(frame);
        ByteBuf b;
        while ((b = encoder.readOutbound()) != null) {
            try {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                out.write(bytes);
            } finally {
                b.release();
            }
        }
        out.flush();
    }

    synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        encoder.finishAndReleaseAll();
    }

    /** The server answered the upgrade with something else than 101. */
    public static final class UpgradeRefused extends IOException {
        public final RawHttp.Response response;

        UpgradeRefused(RawHttp.Response response) {
            super("upgrade refused with " + response.status() + ": " + response.body());
            this.response = response;
        }
    }
}
