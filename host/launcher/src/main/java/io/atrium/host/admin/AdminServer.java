package io.atrium.host.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The root-only admin socket. One JSON request line per connection; zero or more
 * {@code {"progress": ...}} lines, then one {@code {"ok": ...}} line answer it.
 *
 * <p>The socket file is mode 0600 and, in case that is ever loosened, every peer's credentials
 * (SO_PEERCRED) are checked: only uid 0 is served.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AdminServer.class.getName());
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    /** Answers one request; may send progress lines first. */
    public interface Handler {
        Object handle(String command, List<String> args, java.util.function.Consumer<String> progress) throws Exception;
    }

    private final Path path;
    private final Handler handler;
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "atrium-admin");
        t.setDaemon(true);
        return t;
    });
    private ServerSocketChannel server;
    private Thread acceptor;

    public AdminServer(Path path, Handler handler) {
        this.path = path;
        this.handler = handler;
    }

    public void start() throws IOException {
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        acceptor = new Thread(this::acceptLoop, "atrium-admin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                workers.execute(() -> serve(ch));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "admin accept failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch; OutputStream out = Channels.newOutputStream(ch)) {
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!isRoot(peer)) {
                LOG.warning("admin request from non-root user " + peer.user().getName() + " refused");
                reply(out, error("PERMISSION_DENIED", "the admin socket serves root only; user "
                        + peer.user().getName() + " was refused"));
                return;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            String line = readBoundedLine(in);
            if (line == null) {
                return;
            }
            JsonNode req;
            try {
                req = json.readTree(line);
            } catch (IOException e) {
                reply(out, error("INVALID_ARGUMENT", "request is not JSON: " + e.getMessage().lines().findFirst().orElse("")));
                return;
            }
            if (req == null || !req.path("command").isTextual()) {
                reply(out, error("INVALID_ARGUMENT", "request needs a \"command\" string"));
                return;
            }
            List<String> args = new ArrayList<>();
            req.path("args").forEach(a -> args.add(a.asText()));
            Object result;
            try {
                result = handler.handle(req.get("command").asText(), args, p -> {
                    ObjectNode n = json.createObjectNode().put("progress", p);
                    try {
                        reply(out, n);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            } catch (AdminException e) {
                reply(out, error(e.code(), e.getMessage()));
                return;
            } catch (IllegalArgumentException e) {
                reply(out, error("INVALID_ARGUMENT", e.getMessage()));
                return;
            } catch (Exception e) {
                LOG.log(Level.WARNING, "admin command " + req.get("command").asText() + " failed", e);
                reply(out, error(errorCode(e), String.valueOf(e.getMessage())));
                return;
            }
            ObjectNode ok = json.createObjectNode().put("ok", true);
            ok.set("result", json.valueToTree(result));
            reply(out, ok);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "admin connection ended", e);
        }
    }

    /** Sandbox and image exceptions carry a reason enum named like gRPC codes; keep it. */
    private static String errorCode(Exception e) {
        try {
            Object reason = e.getClass().getMethod("reason").invoke(e);
            if (reason instanceof Enum<?> r) {
                return r.name();
            }
        } catch (ReflectiveOperationException ignored) {
            // not one of ours
        }
        return "INTERNAL";
    }

    private static boolean isRoot(UnixDomainPrincipal peer) {
        String name = peer.user().getName();
        return "root".equals(name) || "0".equals(name);
    }

    private static String readBoundedLine(BufferedReader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (sb.length() >= MAX_REQUEST_BYTES) {
                throw new IOException("admin request longer than " + MAX_REQUEST_BYTES + " bytes");
            }
            sb.append((char) c);
        }
        return c == -1 && sb.length() == 0 ? null : sb.toString();
    }

    private ObjectNode error(String code, String message) {
        return json.createObjectNode().put("ok", false).put("code", code).put("error", message);
    }

    private synchronized void reply(OutputStream out, JsonNode node) throws IOException {
        out.write(json.writeValueAsBytes(node));
        out.write('\n');
        out.flush();
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warning("closing admin socket: " + e.getMessage());
        }
        workers.shutdownNow();
    }
}
