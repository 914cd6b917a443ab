package io.atrium.host.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Talks to a node's admin socket: sends one command, relays progress, returns the result. */
public final class AdminClient {

    private final Path socket;
    private final ObjectMapper json = new ObjectMapper();

    public AdminClient(Path socket) {
        this.socket = socket;
    }

    /** Runs a command; throws {@link AdminException} with the node's code and message when refused. */
    public JsonNode call(String command, List<String> args, Consumer<String> progress) throws IOException {
        if (!Files.exists(socket)) {
            throw new AdminException("UNAVAILABLE", "no node is running: " + socket + " does not exist");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (SocketException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("ermission denied")) {
                    throw new AdminException("PERMISSION_DENIED", "the admin socket " + socket + " is root-only: run as root");
                }
                throw new AdminException("UNAVAILABLE", "no node answers on " + socket + ": " + m);
            }
            ObjectNode req = json.createObjectNode().put("command", command);
            ArrayNode a = req.putArray("args");
            args.forEach(a::add);
            var out = Channels.newOutputStream(ch);
            try {
                out.write(json.writeValueAsBytes(req));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                // The node may refuse (for example a non-root peer) before reading the request;
                // its answer is still waiting to be read.
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode n = json.readTree(line);
                if (n.has("progress")) {
                    progress.accept(n.get("progress").asText());
                } else if (n.path("ok").asBoolean(false)) {
                    return n.get("result");
                } else {
                    throw new AdminException(n.path("code").asText("INTERNAL"), n.path("error").asText("failed"));
                }
            }
            throw new AdminException("UNAVAILABLE", "the node closed the admin connection without an answer");
        } catch (AccessDeniedException e) {
            throw new AdminException("PERMISSION_DENIED", "the admin socket " + socket + " is root-only: run as root");
        }
    }
}
