package io.atrium.sandboxer.ociruntime;

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
import java.nio.ByteBuffer;
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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Per-pod state files: {@code <dir>/<pod id>.json}, each {@code {"formatVersion":N,"pod":{...}}}, written
 * atomically (temp file in the same directory, fsync, rename, fsync of the directory) with mode 0600.
 * A file of a newer format is refused with a clear message rather than guessed at.
 *
 * @param <T> the sandboxer's own record of a pod (a Jackson-mappable record)
 */
public final class StateStore<T> {
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final Class<T> type;
    private final int formatVersion;
    private final String owner;
    private final ObjectMapper json;

    /**
     * @param formatVersion the newest format this sandboxer writes and reads
     * @param owner who writes the files, for messages ("runc sandboxer")
     */
    public StateStore(Path dir, Class<T> type, int formatVersion, String owner) {
        this.dir = dir;
        this.type = type;
        this.formatVersion = formatVersion;
        this.owner = owner;
        this.json = mapper();
    }

    public Path dir() {
        return dir;
    }

    /** A mapper that writes Instants as ISO-8601 strings without needing the jsr310 module bundle. */
    public static ObjectMapper mapper() {
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

    /** Writes the pod's state atomically, replacing what was there. */
    public void save(String podId, T pod) {
        try {
            Files.createDirectories(dir);
            ObjectNode root = json.createObjectNode();
            root.put("formatVersion", formatVersion);
            root.set("pod", json.valueToTree(pod));
            Path tmp = Files.createTempFile(dir, "." + podId + "-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ByteBuffer bytes = ByteBuffer.wrap(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
                    while (bytes.hasRemaining()) {
                        ch.write(bytes);
                    }
                    ch.force(true);
                }
                Files.move(tmp, file(podId), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot persist state of pod " + podId + " in " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    public void delete(String podId) {
        try {
            Files.deleteIfExists(file(podId));
            syncDirectory();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot delete state of pod " + podId + ": " + e.getMessage(), e);
        }
    }

    /** Every pod state file. */
    public List<Path> files() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            files.forEach(out::add);
        }
        return out;
    }

    /**
     * Every pod file that can be read. One that cannot is left untouched for a bundle that can read it,
     * logged, and named in {@code unreadable}; the rest of the node goes on.
     */
    public List<T> loadAll(List<String> unreadable) throws IOException {
        List<T> pods = new ArrayList<>();
        for (Path file : files()) {
            try {
                pods.add(load(file));
            } catch (IOException | RuntimeException e) {
                Logger.getLogger(StateStore.class.getName()).log(Level.SEVERE, "cannot re-adopt pod from " + file, e);
                unreadable.add(file.getFileName() + ": " + e.getMessage());
            }
        }
        return pods;
    }

    public T load(Path f) throws IOException {
        JsonNode root = json.readTree(f.toFile());
        int version = root.path("formatVersion").asInt(-1);
        if (version < 1 || version > formatVersion) {
            throw new IOException(f + " has state format " + version + "; this " + owner + " reads format "
                    + formatVersion + " (was it written by a newer bundle?)");
        }
        return json.treeToValue(root.get("pod"), type);
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
