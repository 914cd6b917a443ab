package io.atrium.sandboxer.wasm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pod records under {@code <root>/sandboxers/wasm/pods/<id>.json}, each written whole to a temp
 * file and renamed over the old one, so a reader sees the old or the new record, never a mix.
 *
 * <p>No fsync by default: the records only let the next bundle instance answer for pods across an
 * update inside the same JVM. After a node crash every Wasm module is gone anyway and the records
 * are read as "exited, unknown code"; set {@code fsync} to also survive power loss.
 */
final class PodStore {
    static final int FORMAT = 1;

    /** One pod as persisted. Instants are ISO-8601 strings so no Jackson time module is needed. */
    record PodRecord(int format, String id, String name, String namespace, String uid, String createdAt, String state,
            String stoppedAt, Map<String, ContainerRecord> containers) {
    }

    /** One container as persisted; the exit fields are null while it has not ended. */
    record ContainerRecord(String id, String createdAt, String startedAt, Integer exitCode, Integer signal,
            String exitedAt, String reason, String dir) {
    }

    private final Path dir;
    private final boolean fsync;
    private final ObjectMapper json = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    PodStore(Path stateDir, boolean fsync) throws IOException {
        this.dir = stateDir.resolve("pods");
        this.fsync = fsync;
        Files.createDirectories(dir);
        Path format = stateDir.resolve("FORMAT");
        if (Files.exists(format)) {
            String found = Files.readString(format).trim();
            if (!found.equals(String.valueOf(FORMAT))) {
                // refuse before touching anything: a newer bundle wrote state this one cannot read
                throw new IOException("wasm sandboxer state in " + stateDir + " has format " + found
                        + ", this bundle reads format " + FORMAT);
            }
        } else {
            write(format, String.valueOf(FORMAT).getBytes());
        }
    }

    void save(PodRecord pod) {
        try {
            write(dir.resolve(pod.id() + ".json"), json.writeValueAsBytes(pod));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot persist wasm pod " + pod.id(), e);
        }
    }

    void remove(String podId) throws IOException {
        Files.deleteIfExists(dir.resolve(podId + ".json"));
    }

    /** Every readable record; unreadable files are reported to {@code problems} and left alone. */
    List<PodRecord> loadAll(List<String> problems) throws IOException {
        List<PodRecord> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    PodRecord r = json.readValue(f.toFile(), PodRecord.class);
                    if (r.format() != FORMAT) {
                        throw new IOException("format " + r.format());
                    }
                    all.add(r);
                } catch (IOException e) {
                    problems.add(f.getFileName() + ": " + e.getMessage());
                }
            }
        }
        return all;
    }

    private void write(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(data));
            if (fsync) {
                ch.force(true);
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
