package io.atrium.engine.runtime.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * One versioned JSON document on disk, written atomically: a temporary file in the same directory,
 * fsync, rename over the old file, fsync of the directory. A crash leaves either the old or the
 * new content, never a mix. A reader refuses a format newer than it knows instead of guessing.
 */
public final class StateFile {
    /** Key of the format version in every state document. */
    public static final String VERSION_FIELD = "formatVersion";
    static final String TEMP_SUFFIX = ".tmp";

    private final ObjectMapper mapper = JsonMapper.builder()
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            // an older engine reading a newer minor format keeps what it knows
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .build();
    private final int formatVersion;

    public StateFile(int formatVersion) {
        this.formatVersion = formatVersion;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public int formatVersion() {
        return formatVersion;
    }

    public void write(Path file, Object value) throws IOException {
        ObjectNode doc = mapper.createObjectNode();
        doc.put(VERSION_FIELD, formatVersion);
        doc.set("data", mapper.valueToTree(value));
        byte[] bytes = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve(file.getFileName() + TEMP_SUFFIX);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            throw new IOException("cannot replace " + file + " atomically", e);
        }
        syncDirectory(dir);
    }

    public <T> T read(Path file, Class<T> type) throws IOException {
        JsonNode doc;
        try {
            doc = mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("state file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode version = doc == null ? null : doc.get(VERSION_FIELD);
        if (version == null || !version.isInt()) {
            throw new IOException("state file " + file + " has no " + VERSION_FIELD);
        }
        if (version.intValue() > formatVersion) {
            throw new IOException("state file " + file + " has format " + version.intValue()
                    + ", newer than this engine reads (" + formatVersion + "); refusing to guess");
        }
        return mapper.treeToValue(doc.get("data"), type);
    }

    public void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
        syncDirectory(file.toAbsolutePath().getParent());
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
