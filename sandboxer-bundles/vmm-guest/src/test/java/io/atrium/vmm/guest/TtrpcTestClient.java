package io.atrium.vmm.guest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.atrium.ttrpc.proto.Request;
import io.atrium.ttrpc.proto.Response;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal ttrpc client for the agent tests: frames written and read by hand (10-byte header: u32 length, u32
 * stream id, u8 type, u8 flags), messages from the protoc-generated task v2 classes. Kept in the test so the guest
 * is checked against the wire format itself, independent of the node's ttrpc library.
 */
final class TtrpcTestClient implements AutoCloseable {
    static final String TASK = "containerd.task.v2.Task";

    record Reply(int code, String message, ByteString payload) {
        <T extends Message> T as(Parser<T> parser) {
            if (code != 0) throw new AssertionError("call failed: status " + code + " " + message);
            try {
                return parser.parseFrom(payload);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("reply does not parse", e);
            }
        }
    }

    private final SocketChannel channel;
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextStream = new AtomicInteger(1);
    private final Thread reader;

    TtrpcTestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        reader = new Thread(this::readLoop, "ttrpc-reader");
        reader.setDaemon(true);
        reader.start();
    }

    CompletableFuture<Reply> callAsync(String method, Message request) throws IOException {
        int stream = nextStream.getAndAdd(2); // client streams are odd
        CompletableFuture<Reply> f = new CompletableFuture<>();
        pending.put(stream, f);
        byte[] payload = Request.newBuilder().setService(TASK).setMethod(method)
                .setPayload(request.toByteString()).build().toByteArray();
        writeFrame(stream, 1, payload);
        return f;
    }

    Reply call(String method, Message request) throws Exception {
        return call(method, request, Duration.ofSeconds(30));
    }

    Reply call(String method, Message request, Duration timeout) throws Exception {
        return callAsync(method, request).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** sends a request frame with arbitrary bytes as the ttrpc Request */
    CompletableFuture<Reply> callRaw(byte[] requestBytes) throws IOException {
        int stream = nextStream.getAndAdd(2);
        CompletableFuture<Reply> f = new CompletableFuture<>();
        pending.put(stream, f);
        writeFrame(stream, 1, requestBytes);
        return f;
    }

    void writeFrame(int stream, int type, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(10 + payload.length);
        b.putInt(payload.length).putInt(stream).put((byte) type).put((byte) 0).put(payload).flip();
        writeRaw(b);
    }

    synchronized void writeRaw(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) channel.write(b);
    }

    private void readLoop() {
        ByteBuffer hdr = ByteBuffer.allocate(10);
        try {
            while (true) {
                hdr.clear();
                readFully(hdr);
                int len = hdr.getInt(0), stream = hdr.getInt(4), type = hdr.get(8);
                if (len < 0 || len > (4 << 20)) throw new IOException("bad frame length " + len);
                ByteBuffer body = ByteBuffer.allocate(len);
                readFully(body);
                if (type != 2) continue;
                Response r = Response.parseFrom(body.array());
                CompletableFuture<Reply> f = pending.remove(stream);
                if (f != null) f.complete(new Reply(r.getStatus().getCode(), r.getStatus().getMessage(), r.getPayload()));
            }
        } catch (IOException e) {
            pending.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining())
            if (channel.read(b) < 0) throw new IOException("agent channel closed");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
