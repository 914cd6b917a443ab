package io.atrium.engine.runtime.state;

import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Records kept in memory and as one atomically written file each ({@code <dir>/<id>.json}).
 * Every change is written before it becomes visible, so what a client was told survives a crash.
 * Reads never touch the disk.
 */
class RecordStore<T> {
    private static final Logger LOG = Logger.getLogger(RecordStore.class.getName());
    private static final Pattern ID = Pattern.compile("[a-f0-9]{64}");

    private final Path dir;
    private final Class<T> type;
    private final Function<T, String> idOf;
    private final String what;
    private final StateFile files;
    private final Map<String, T> records = new ConcurrentHashMap<>();
    private final List<String> unreadable = new ArrayList<>();

    RecordStore(Path dir, Class<T> type, Function<T, String> idOf, String what, int formatVersion) throws IOException {
        this.dir = dir;
        this.type = type;
        this.idOf = idOf;
        this.what = what;
        this.files = new StateFile(formatVersion);
        Files.createDirectories(dir);
        load();
    }

    private void load() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path f : entries) {
                String name = f.getFileName().toString();
                if (name.endsWith(StateFile.TEMP_SUFFIX)) {
                    Files.deleteIfExists(f); // a write that never completed; the previous file still holds the truth
                    continue;
                }
                if (!name.endsWith(".json") || !ID.matcher(name.substring(0, name.length() - 5)).matches()) {
                    continue;
                }
                try {
                    T record = files.read(f, type);
                    records.put(idOf.apply(record), record);
                } catch (IOException e) {
                    // keep the file for an operator or a newer engine, and say so
                    unreadable.add(f + ": " + e.getMessage());
                    LOG.severe("skipping " + what + " state " + f + ": " + e.getMessage());
                }
            }
        }
    }

    /** Files that could not be read at load time, with the reason. */
    List<String> unreadable() {
        return List.copyOf(unreadable);
    }

    Optional<T> get(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(records.get(id));
    }

    List<T> all() {
        return List.copyOf(records.values());
    }

    synchronized void put(T record) {
        String id = idOf.apply(record);
        persist(id, record);
        records.put(id, record);
    }

    /** Applies {@code change} to the current record and persists the result; empty if there is none. */
    synchronized Optional<T> update(String id, UnaryOperator<T> change) {
        T current = records.get(id);
        if (current == null) {
            return Optional.empty();
        }
        T next = change.apply(current);
        if (next != current && !next.equals(current)) {
            persist(id, next);
            records.put(id, next);
        }
        return Optional.of(next);
    }

    synchronized void remove(String id) {
        try {
            files.delete(file(id));
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + what + " state of " + id + " failed", e);
        }
        records.remove(id);
    }

    /** A unique id for a full id or an unambiguous prefix of one, as crictl users type them. */
    Optional<String> resolve(String idOrPrefix) {
        if (idOrPrefix == null || idOrPrefix.isEmpty()) {
            return Optional.empty();
        }
        if (records.containsKey(idOrPrefix)) {
            return Optional.of(idOrPrefix);
        }
        List<String> matches = records.keySet().stream().filter(k -> k.startsWith(idOrPrefix)).limit(2).toList();
        if (matches.size() > 1) {
            throw SandboxException.invalid(what + " id prefix '" + idOrPrefix + "' is ambiguous");
        }
        return matches.stream().findFirst();
    }

    Path file(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a " + what + " id: " + id);
        }
        return dir.resolve(id + ".json");
    }

    private void persist(String id, T record) {
        try {
            files.write(file(id), record);
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL,
                    "persisting " + what + " " + id + " failed: " + e.getMessage(), e);
        }
    }
}
