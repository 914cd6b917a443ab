package io.atrium.engine.images.content;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.oci.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Image names and what they point at, persisted as versioned JSON with an atomic write.
 * A name is {@code domain/path:tag}, or {@code domain/path@digest} for images pulled by digest.
 */
public final class ImageIndex {

    static final int FORMAT_VERSION = 1;

    /**
     * @param target digest the name resolved to (an index for multi-platform images)
     * @param manifest digest of this node's platform manifest
     * @param config digest of the image config, which is the image id
     */
    public record Entry(String name, String target, String manifest, String config, long createdEpochMillis) {
    }

    record FileFormat(int version, List<Entry> images) {
    }

    private final StoreLayout layout;
    private final ObjectMapper json = Json.mapper();
    private final Map<String, Entry> byName = new TreeMap<>();

    public ImageIndex(StoreLayout layout) throws IOException {
        this.layout = layout;
        if (Files.exists(layout.index())) {
            FileFormat f = json.readValue(layout.index().toFile(), FileFormat.class);
            if (f.version() > FORMAT_VERSION) {
                throw new IOException(layout.index() + " has format version " + f.version() + ", newer than this bundle's " + FORMAT_VERSION);
            }
            for (Entry e : f.images()) {
                byName.put(e.name(), e);
            }
        }
    }

    public synchronized List<Entry> all() {
        return List.copyOf(byName.values());
    }

    public synchronized Entry get(String name) {
        return byName.get(name);
    }

    /** Adds or repoints names in one atomic write. */
    public synchronized void put(Collection<Entry> entries) throws IOException {
        Map<String, Entry> next = new TreeMap<>(byName);
        entries.forEach(e -> next.put(e.name(), e));
        save(next);
        byName.clear();
        byName.putAll(next);
    }

    /** Removes every name whose config is {@code configDigest}; returns the names removed. */
    public synchronized List<String> removeImage(String configDigest) throws IOException {
        Map<String, Entry> next = new TreeMap<>(byName);
        List<String> removed = new ArrayList<>();
        next.values().removeIf(e -> {
            boolean match = e.config().equals(configDigest);
            if (match) {
                removed.add(e.name());
            }
            return match;
        });
        if (!removed.isEmpty()) {
            save(next);
            byName.clear();
            byName.putAll(next);
        }
        return removed;
    }

    private void save(Map<String, Entry> images) throws IOException {
        AtomicFiles.write(layout.index(), json.writeValueAsBytes(new FileFormat(FORMAT_VERSION, List.copyOf(images.values()))));
    }
}
