package io.atrium.sandboxer.ociruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    record Pod(String id, Instant createdAt, List<String> containers) {
    }

    @TempDir
    Path dir;

    @Test
    void savesAtomicallyPrivateAndReadsBack() throws IOException {
        StateStore<Pod> store = new StateStore<>(dir.resolve("pods"), Pod.class, 2, "test sandboxer");
        Pod p = new Pod("p1", Instant.parse("2026-01-02T03:04:05.123456789Z"), List.of("a", "b"));
        store.save("p1", p);
        store.save("p1", p); // replaces
        assertEquals(List.of(dir.resolve("pods/p1.json")), store.files());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("pods/p1.json"))));
        assertEquals(p, store.load(store.files().get(0)));
        store.delete("p1");
        assertEquals(List.of(), store.files());
    }

    @Test
    void aNewerFormatIsRefusedNamingBothVersions() throws IOException {
        StateStore<Pod> newer = new StateStore<>(dir, Pod.class, 3, "newer");
        newer.save("p", new Pod("p", Instant.EPOCH, List.of()));
        StateStore<Pod> older = new StateStore<>(dir, Pod.class, 2, "test sandboxer");
        IOException e = assertThrows(IOException.class, () -> older.load(dir.resolve("p.json")));
        assertTrue(e.getMessage().contains("format 3") && e.getMessage().contains("reads format 2"), e.getMessage());
    }
}
