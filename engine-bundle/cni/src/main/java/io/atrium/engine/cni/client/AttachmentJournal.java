package io.atrium.engine.cni.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * One versioned JSON file per attached pod under {@code <root>/cni/attachments/}, each written
 * atomically (temp file, fsync, rename, fsync of the directory). A file exists from just before
 * ADD until DEL succeeded, so a pod's network can never be forgotten half-way.
 */
public final class AttachmentJournal {

    public static final int FORMAT = 1;

    private static final Logger LOG = Logger.getLogger(AttachmentJournal.class.getName());
    /** The CNI rule for container ids, which also keeps ids safe as file names. */
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final ObjectMapper json;

    public AttachmentJournal(Path dir, ObjectMapper json) throws IOException {
        this.dir = dir;
        this.json = json;
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path tmp : stale) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    public Path dir() {
        return dir;
    }

    public static void checkPodId(String podId) {
        if (!CONTAINER_ID.matcher(podId).matches() || podId.length() > 255) {
            throw new IllegalArgumentException("pod id '" + podId + "' is not a valid CNI container id");
        }
    }

    public Optional<AttachmentRecord> read(String podId) throws IOException {
        checkPodId(podId);
        return read(dir.resolve(podId + SUFFIX));
    }

    /** Every record on disk; unreadable ones are logged and left in place for an operator. */
    public List<AttachmentRecord> all() throws IOException {
        List<AttachmentRecord> records = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                try {
                    read(file).ifPresent(records::add);
                } catch (IOException e) {
                    LOG.warning("cannot read CNI attachment " + file + ": " + e.getMessage());
                }
            }
        }
        return records;
    }

    public void write(AttachmentRecord record) throws IOException {
        checkPodId(record.podId());
        Path target = dir.resolve(record.podId() + SUFFIX);
        Path tmp = dir.resolve("." + record.podId() + SUFFIX + ".tmp");
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(record);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDir();
    }

    public void remove(String podId) throws IOException {
        checkPodId(podId);
        Files.deleteIfExists(dir.resolve(podId + SUFFIX));
        syncDir();
    }

    private Optional<AttachmentRecord> read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        JsonNode tree = json.readTree(bytes);
        int format = tree.path("format").asInt(0);
        if (format != FORMAT) {
            throw new IOException(file + " has format " + format + ", this node reads format " + FORMAT);
        }
        return Optional.of(json.treeToValue(tree, AttachmentRecord.class));
    }

    private void syncDir() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
