package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.ImageWriter.Image;
import io.atrium.engine.images.testing.TestRegistry;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Air-gapped import of archives skopeo writes, and the {@code atrium images} admin command. */
class ImportAndCommandTest {

    static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    static TestRegistry registry;
    static Image busybox;

    @TempDir
    Path root;
    @TempDir
    Path work;
    LocalImageStore store;
    ImagesCommand command;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.inTempDir();
        busybox = ImageWriter.image("amd64", Map.of("Cmd", List.of("sh")), List.of(ImageWriter.busyboxLayer()));
        ImageWriter.push(registry.url(), "tools/busybox", "1.0", busybox);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void open() throws Exception {
        store = new LocalImageStore(root, PullTest.fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
        command = new ImagesCommand(store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void skopeo(String dest) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SKOPEO), "skopeo not installed at " + SKOPEO + " (apt-get install skopeo)");
        Path policy = work.resolve("policy.json");
        Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        Process p = new ProcessBuilder(SKOPEO.toString(), "--policy", policy.toString(), "copy", "--src-tls-verify=false",
                "docker://" + registry.host() + "/tools/busybox:1.0", dest).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "skopeo failed: " + out);
    }

    @Test
    void importsOciLayoutDirectoryAndTarball() throws Exception {
        Path layout = work.resolve("bb-layout");
        skopeo("oci:" + layout + ":v1");
        List<ImageRecord> imported = store.importArchive(layout, null);
        assertEquals(1, imported.size());
        assertEquals(busybox.config().digest(), imported.get(0).id());
        assertEquals(List.of("localhost/bb-layout:v1"), imported.get(0).repoTags());
        assertTrue(Files.isExecutable(store.layout().layer(busybox.layers().get(0).diffId()).resolve("bin/busybox")));

        Path tarball = work.resolve("bb.tar");
        Process tar = new ProcessBuilder("tar", "-C", layout.toString(), "-cf", tarball.toString(), ".").inheritIO().start();
        assertEquals(0, tar.waitFor());
        store.remove(busybox.config().digest());
        assertEquals(List.of("localhost/bb:v1"), store.importArchive(tarball, null).get(0).repoTags());
    }

    @Test
    void importsDockerArchiveThroughTheAdminCommand() throws Exception {
        Path archive = work.resolve("busybox-docker.tar");
        skopeo("docker-archive:" + archive + ":busybox:1.0");
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        Object result = command.execute(List.of("import", archive.toString()), progress::add);
        assertTrue(result.toString().contains("docker.io/library/busybox:1.0"), result.toString());
        assertTrue(progress.stream().anyMatch(l -> l.contains("imported")), progress.toString());
        // docker-archive layers are uncompressed tars: the diff id equals the layer digest, the image id is unchanged
        ImageRecord r = store.find("busybox:1.0").orElseThrow();
        assertEquals(busybox.config().digest(), r.id());
        List<?> ls = (List<?>) command.execute(List.of("ls"), l -> { });
        assertEquals(1, ls.size());
        assertEquals(r, command.execute(List.of("inspect", "busybox:1.0"), l -> { }));
        assertEquals(Map.of("removed", true), command.execute(List.of("rm", "busybox:1.0"), l -> { }));
        assertEquals(Map.of("removed", false), command.execute(List.of("rm", "busybox:1.0"), l -> { }));
    }

    @Test
    void pullCommandShowsPerLayerProgress() {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        command.execute(List.of("pull", registry.host() + "/tools/busybox:1.0"), lines::add);
        String layer = busybox.layers().get(0).blob().digest().substring(7, 19);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(layer + ": downloading") && l.contains("%")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(layer + ": pull complete")), lines.toString());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> command.execute(List.of("pull", "Bad::Ref"), l -> { }));
        assertTrue(bad.getMessage().startsWith("invalid_argument"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> command.execute(List.of("frobnicate"), l -> { }));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> command.execute(List.of("import", work.resolve("nothing").toString()), l -> { }));
        assertTrue(missing.getMessage().startsWith("not_found"), missing.getMessage());
    }
}
