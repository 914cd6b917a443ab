package io.atrium.engine.runtime.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoresTest {
    @TempDir
    Path dir;

    private static final String ID = "a".repeat(64);
    private static final String ID2 = "ab" + "c".repeat(62);

    private static PodSandboxRecord pod(String id, String name) {
        return new PodSandboxRecord(id, name, "ns", "uid", 0, "runc", "runc", PodState.READY, 1, 0, name, "/logs",
                false, false, false, "/run/netns/x", Map.of("app", "a"), Map.of(), "", new byte[] {1, 2});
    }

    private static ContainerRecord container(String id, ContainerState state) {
        return new ContainerRecord(id, ID, "c", 0, "img", "sha256:1", "sha256:1", Map.of(), Map.of(), "/l", "c/0.log",
                false, List.of(new ContainerRecord.MountRecord("/data", "/host", true, "PROPAGATION_PRIVATE")), 15, "{}",
                ContainerRecord.ResourcesRecord.NONE, new ContainerRecord.UserRecord(1, 2, List.of(3L)), 5, state);
    }

    @Test
    void podsSurviveAReloadAndNamesAreReservedAgain() throws Exception {
        PodSandboxStore store = new PodSandboxStore(dir);
        store.put(pod(ID, "web"));
        store.update(ID, p -> p.stopped(9, "why"));
        PodSandboxStore reloaded = new PodSandboxStore(dir);
        PodSandboxRecord back = reloaded.require(ID);
        assertEquals(PodState.NOTREADY, back.state());
        assertEquals(9, back.stoppedAtNanos());
        assertEquals("why", back.reason());
        assertEquals(2, back.config().length);
        SandboxException dup = assertThrows(SandboxException.class, () -> reloaded.reserveName(back.nameKey(), "x"));
        assertEquals(SandboxException.Reason.ALREADY_EXISTS, dup.reason());
        reloaded.remove(back);
        assertFalse(Files.exists(dir.resolve("pods").resolve(ID + ".json")));
        reloaded.reserveName(back.nameKey(), "x"); // free again
    }

    @Test
    void containerStatesRoundTripThroughTheFile() throws Exception {
        ContainerStore store = new ContainerStore(dir);
        store.put(container(ID, new ContainerState.Running(7, 42)));
        store.put(container(ID2, new ContainerState.Exited(7, 8, 137, "Error", "")));
        ContainerStore reloaded = new ContainerStore(dir);
        assertEquals(new ContainerState.Running(7, 42), reloaded.require(ID).state());
        assertEquals(new ContainerState.Exited(7, 8, 137, "Error", ""), reloaded.require(ID2).state());
        assertEquals(List.of(3L), reloaded.require(ID2).user().supplementalGroups());
        assertTrue(Files.readString(dir.resolve("containers").resolve(ID + ".json")).contains("\"formatVersion\" : 1"));
    }

    @Test
    void idsResolveByUniquePrefixAndAmbiguityIsRefused() throws Exception {
        ContainerStore store = new ContainerStore(dir);
        store.put(container(ID, new ContainerState.Created()));
        store.put(container(ID2, new ContainerState.Created()));
        assertEquals(ID2, store.require("abc").id());
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, assertThrows(SandboxException.class, () -> store.require("a")).reason());
        assertEquals(SandboxException.Reason.NOT_FOUND, assertThrows(SandboxException.class, () -> store.require("b")).reason());
    }

    @Test
    void aNewerFormatIsRefusedAndKeptAndTornWritesAreIgnored() throws Exception {
        Path pods = Files.createDirectories(dir.resolve("pods"));
        Path newer = pods.resolve(ID + ".json");
        Files.writeString(newer, "{\"formatVersion\": 99, \"data\": {}}");
        Path torn = pods.resolve(ID2 + ".json.tmp");
        Files.writeString(torn, "{\"formatVer");
        PodSandboxStore store = new PodSandboxStore(dir);
        assertTrue(store.all().isEmpty());
        assertEquals(1, store.unreadable().size());
        assertTrue(store.unreadable().get(0).contains("newer than this engine reads"), store.unreadable().get(0));
        assertTrue(Files.exists(newer), "kept for a newer engine");
        assertFalse(Files.exists(torn), "an unfinished temp file is discarded");
    }

    @Test
    void writesAreAtomicReplacementsLeavingNoTempFiles() throws Exception {
        StateFile files = new StateFile(1);
        Path f = dir.resolve("x.json");
        files.write(f, Map.of("v", 1));
        files.write(f, Map.of("v", 2));
        assertEquals(2, files.read(f, Map.class).get("v"));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }
}
