package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Pod state files: {@code <dir>/<pod id>.json}, each {@code {"formatVersion":N,"pod":{...}}}, written
 * atomically (temp file in the same directory, fsync, rename, fsync of the directory) with mode 0600.
 * A file of a newer format is refused with a clear message rather than guessed at.
 */
final class PodStore {
    static final int FORMAT_VERSION = 1;
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final ObjectMapper json;

    PodStore(Path dir) {
        this.dir = dir;
        this.json = mapper();
    }

    /** A mapper that writes Instants as ISO-8601 strings without needing the jsr310 module bundle. */
    static ObjectMapper mapper() {
        SimpleModule instants = new SimpleModule("atrium-instants");
        instants.addSerializer(Instant.class, new JsonSerializer<>() {
            @Override
            public void serialize(Instant v, JsonGenerator gen, SerializerProvider p) throws IOException {
                gen.writeString(v.toString());
            }
        });
        instants.addDeserializer(Instant.class, new JsonDeserializer<>() {
            @Override
            public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                return Instant.parse(p.getValueAsString());
            }
        });
        return new ObjectMapper().registerModule(instants)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false); // a newer minor may add fields
    }

    void save(PersistedPod pod) {
        try {
            Files.createDirectories(dir);
            ObjectNode root = json.createObjectNode();
            root.put("formatVersion", FORMAT_VERSION);
            root.set("pod", json.valueToTree(pod));
            Path tmp = Files.createTempFile(dir, "." + pod.id() + "-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
                    ch.force(true);
                }
                Files.move(tmp, file(pod.id()), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot persist state of pod " + pod.id() + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    void delete(String podId) {
        try {
            Files.deleteIfExists(file(podId));
            syncDirectory();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot delete state of pod " + podId + ": " + e.getMessage(), e);
        }
    }

    /** Every pod state file. */
    List<Path> files() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            files.forEach(out::add);
        }
        return out;
    }

    PersistedPod load(Path f) throws IOException {
        JsonNode root = json.readTree(f.toFile());
        int version = root.path("formatVersion").asInt(-1);
        if (version < 1 || version > FORMAT_VERSION) {
            throw new IOException(f + " has state format " + version + "; this runc sandboxer reads format "
                    + FORMAT_VERSION + " (was it written by a newer bundle?)");
        }
        return json.treeToValue(root.get("pod"), PersistedPod.class);
    }

    private Path file(String podId) {
        return dir.resolve(podId + SUFFIX);
    }

    private void syncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
