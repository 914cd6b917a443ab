package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.images.snapshot.LayeredSnapshotter;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.ImageWriter.Image;
import io.atrium.engine.images.testing.TestRegistry;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.BlockFormat;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import io.atrium.sandbox.api.Mount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
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

/** Snapshots of a two-layer image whose top layer deletes and hides lower content. */
class SnapshotTest {

    static TestRegistry registry;
    static Image layered;

    @TempDir
    Path root;
    LocalImageStore store;
    ImageRecord image;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.inTempDir();
        ImageWriter.Layer bottom = ImageWriter.gzipLayer(ImageWriter.tar(t -> {
            ImageWriter.file(t, "gone.txt", "lower\n", 0644);
            ImageWriter.file(t, "kept.txt", "kept\n", 0644);
            ImageWriter.dir(t, "cache");
            ImageWriter.file(t, "cache/old", "old\n", 0644);
        }));
        ImageWriter.Layer top = ImageWriter.gzipLayer(ImageWriter.tar(t -> {
            ImageWriter.file(t, ".wh.gone.txt", "", 0);
            ImageWriter.dir(t, "cache");
            ImageWriter.file(t, "cache/.wh..wh..opq", "", 0);
            ImageWriter.file(t, "cache/new", "new\n", 0644);
        }));
        layered = ImageWriter.image("amd64", Map.of("Cmd", List.of("/bin/sh")), List.of(bottom, top));
        ImageWriter.push(registry.url(), "test/layered", "1", layered);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void pull() throws Exception {
        store = new LocalImageStore(root, PullTest.fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
        image = store.pull(ImageReference.parse(registry.host() + "/test/layered:1"), null, PullListener.NONE);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void copySnapshotAppliesWhiteoutsAndOpaqueDirs() throws Exception {
        LayeredSnapshotter snapshots = new LayeredSnapshotter(root, store, false);
        List<Mount> mounts = snapshots.prepare("c1", image.id(), false);
        assertEquals(1, mounts.size());
        assertEquals("bind", mounts.get(0).type());
        Path fs = Path.of(mounts.get(0).source());
        assertEquals("kept\n", Files.readString(fs.resolve("kept.txt")));
        assertFalse(Files.exists(fs.resolve("gone.txt"), LinkOption.NOFOLLOW_LINKS), "whited out");
        assertEquals("new\n", Files.readString(fs.resolve("cache/new")));
        assertFalse(Files.exists(fs.resolve("cache/old")), "hidden by the opaque directory");
        assertEquals(Reason.ALREADY_EXISTS, assertThrows(ImageException.class, () -> snapshots.prepare("c1", image.id(), false)).reason());
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(ImageException.class, () -> store.remove(image.id())).reason());
        snapshots.remove("c1");
        assertFalse(Files.exists(fs));
        assertTrue(store.remove(image.id()));
    }

    @Test
    void overlaySnapshotMountsWithPrivateUpperDir() throws Exception {
        Assumptions.assumeTrue(LayeredSnapshotter.overlayAvailable(), "kernel has no overlayfs");
        LayeredSnapshotter snapshots = new LayeredSnapshotter(root, store, true);
        Mount m = snapshots.prepare("c2", image.id(), false).get(0);
        assertEquals("overlay", m.type());
        String lower = m.options().stream().filter(o -> o.startsWith("lowerdir=")).findFirst().orElseThrow();
        assertEquals("lowerdir=" + store.layout().layer(layered.layers().get(1).diffId()) + ":"
                + store.layout().layer(layered.layers().get(0).diffId()), lower, "top layer first");
        Path target = Files.createDirectories(root.resolve("mnt"));
        int rc = run("mount", "-t", "overlay", "overlay", "-o", String.join(",", m.options()), target.toString());
        Assumptions.assumeTrue(rc == 0, "mount -t overlay not permitted here (not root, or nested overlay)");
        try {
            assertEquals("kept\n", Files.readString(target.resolve("kept.txt")));
            assertFalse(Files.exists(target.resolve("gone.txt")));
            assertFalse(Files.exists(target.resolve("cache/old")));
            Files.writeString(target.resolve("written.txt"), "by container\n");
        } finally {
            assertEquals(0, run("umount", target.toString()));
        }
        Path upper = Path.of(m.options().stream().filter(o -> o.startsWith("upperdir=")).findFirst().orElseThrow().substring(9));
        assertEquals("by container\n", Files.readString(upper.resolve("written.txt")));
        for (ImageWriter.Layer l : layered.layers()) {
            assertFalse(Files.exists(store.layout().layer(l.diffId()).resolve("written.txt")), "lower layers untouched");
        }
        Mount ro = snapshots.prepare("c3", image.id(), true).get(0);
        assertTrue(ro.options().contains("ro"));
        assertTrue(ro.options().stream().noneMatch(o -> o.startsWith("upperdir=")));

        Path ext4 = snapshots.blockImage("c2", BlockFormat.EXT4);
        assertTrue(Files.size(ext4) > 0);
        assertEquals("by container", debugfsCat(ext4, "/written.txt").strip());
        assertEquals("kept", debugfsCat(ext4, "/kept.txt").strip());
        assertFalse(debugfsCat(ext4, "/gone.txt").contains("lower"), "whiteout applied in the block image");
        snapshots.remove("c2");
        snapshots.remove("c3");
        assertTrue(snapshots.keys().isEmpty());
    }

    private static String debugfsCat(Path image, String file) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/debugfs")), "debugfs (e2fsprogs) not installed");
        Process p = new ProcessBuilder("/usr/sbin/debugfs", "-R", "cat " + file, image.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static int run(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
