package io.atrium.sandboxer.vmm.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QMP (QEMU Machine Protocol) connection: JSON objects, one per line, over QEMU's control socket.
 *
 * <p>On connect QEMU greets with {@code {"QMP": {...}}}; the client leaves capabilities negotiation
 * mode with {@code qmp_capabilities}. Each command carries an {@code id} that QEMU echoes in its
 * {@code return} or {@code error} reply, so replies are matched by id while asynchronous
 * {@code event} objects (SHUTDOWN, DEVICE_DELETED...) go to listeners. One reader thread per
 * connection; calls may come from any thread.
 */
public final class QmpClient implements AutoCloseable {
    private final ObjectMapper json;
    private final SocketChannel channel;
    private final BufferedReader in;
    private final JsonNode greeting;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<JsonNode>> eventListeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Thread reader;

    private QmpClient(ObjectMapper json, SocketChannel channel, String name) throws IOException {
        this.json = json;
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        String first = in.readLine();
        if (first == null) {
            throw new QmpException("QMP", "QEMU closed its QMP socket before greeting");
        }
        this.greeting = json.readTree(first);
        if (!greeting.has("QMP")) {
            throw new QmpException("QMP", "not a QMP greeting: " + first);
        }
        this.reader = new Thread(this::readLoop, "atrium-qmp-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to the QMP socket at {@code path} and leaves capabilities negotiation mode. */
    public static QmpClient connect(Path path, ObjectMapper json, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(path));
            QmpClient c = new QmpClient(json, ch, path.getParent() == null ? "vm" : path.getParent().getFileName().toString());
            c.execute("qmp_capabilities", null, timeout);
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** QEMU's version as the greeting reports it, e.g. {@code 7.2.22}. */
    public String qemuVersion() {
        JsonNode q = greeting.path("QMP").path("version").path("qemu");
        return q.path("major").asInt() + "." + q.path("minor").asInt() + "." + q.path("micro").asInt();
    }

    /** Receives every asynchronous event object (with {@code event}, {@code data}, {@code timestamp}). */
    public void onEvent(Consumer<JsonNode> listener) {
        eventListeners.add(listener);
    }

    /** Completes when QEMU closes the connection (typically because it exited). */
    public CompletableFuture<Void> closedFuture() {
        return closed;
    }

    /**
     * Runs one command and returns its {@code return} value.
     *
     * @throws QmpException when QEMU answers with an error, the connection closes or no answer comes in time
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws QmpException {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode msg = json.createObjectNode();
        msg.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) {
            msg.set("arguments", json.valueToTree(arguments));
        }
        msg.put("id", id);
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            byte[] line = (json.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            // straight to the channel: a stream from Channels.newOutputStream would wait for the
            // channel's blocking lock, which the reader thread holds while it waits for input
            ByteBuffer buf = ByteBuffer.wrap(line);
            synchronized (channel) {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
            JsonNode r = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r.has("error")) {
                JsonNode e = r.get("error");
                throw new QmpException(e.path("class").asText(), command + ": " + e.path("desc").asText());
            }
            return r.path("return");
        } catch (TimeoutException e) {
            throw new QmpException("Timeout", "QMP " + command + " got no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new QmpException("QMP " + command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted during QMP " + command, e);
        } catch (IOException e) {
            if (e instanceof QmpException q) {
                throw q;
            }
            throw new QmpException("QMP " + command + " could not be sent: " + e.getMessage(), e);
        } finally {
            pending.remove(id);
        }
    }

    /** {@code query-status}: the run state, such as {@code running}, {@code paused} or {@code shutdown}. */
    public String status(Duration timeout) throws QmpException {
        return execute("query-status", null, timeout).path("status").asText();
    }

    private void readLoop() {
        IOException failure = null;
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = json.readTree(line);
                if (node.has("event")) {
                    for (Consumer<JsonNode> l : eventListeners) {
                        try {
                            l.accept(node);
                        } catch (RuntimeException e) {
                            // a listener's bug must not stop replies from arriving
                        }
                    }
                } else if (node.has("id")) {
                    CompletableFuture<JsonNode> f = pending.get(node.get("id").asText());
                    if (f != null) {
                        f.complete(node);
                    }
                }
            }
        } catch (IOException e) {
            failure = e;
        }
        IOException cause = failure != null ? failure : new IOException("QEMU closed the QMP connection");
        pending.values().forEach(f -> f.completeExceptionally(cause));
        closed.complete(null);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a unix socket does not fail in a way worth reporting
        }
        closed.complete(null);
    }
}
