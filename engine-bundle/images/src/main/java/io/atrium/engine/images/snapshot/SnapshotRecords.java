package io.atrium.engine.images.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.content.AtomicFiles;
import io.atrium.engine.images.content.StoreLayout;
import io.atrium.engine.images.oci.Json;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The on-disk record of each snapshot ({@code snapshots/<key>/snapshot.json}). The image store
 * reads it too: an image with snapshots cannot be removed, and their layers are never collected.
 */
public final class SnapshotRecords {

    static final int FORMAT_VERSION = 1;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    /**
     * @param layers diff ids bottom first; {@code layers/<hex>} are the lower directories
     * @param mode {@code overlay} or {@code copy}
     */
    public record Snapshot(int version, String key, String imageId, List<String> layers, boolean readOnly, String mode) {
    }

    private final StoreLayout layout;
    private final ObjectMapper json = Json.mapper();

    public SnapshotRecords(StoreLayout layout) throws IOException {
        this.layout = layout;
        Files.createDirectories(layout.snapshots());
    }

    public static void checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw io.atrium.image.api.ImageException.invalid("snapshot key '" + key + "' must be 1-128 characters of [A-Za-z0-9_.-]");
        }
    }

    public Path dir(String key) {
        checkKey(key);
        return layout.snapshots().resolve(key);
    }

    public void write(Snapshot s) throws IOException {
        AtomicFiles.write(dir(s.key()).resolve("snapshot.json"), json.writeValueAsBytes(s));
    }

    public Optional<Snapshot> read(String key) throws IOException {
        Path f = dir(key).resolve("snapshot.json");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        return Optional.of(json.readValue(f.toFile(), Snapshot.class));
    }

    public List<Snapshot> all() throws IOException {
        List<Snapshot> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.snapshots())) {
            for (Path p : ds) {
                Path f = p.resolve("snapshot.json");
                if (Files.isRegularFile(f)) {
                    out.add(json.readValue(f.toFile(), Snapshot.class));
                }
            }
        }
        return out;
    }
}
