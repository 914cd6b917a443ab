package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ext4 images from the two shapes of snapshot the ImageService hands out, read back with debugfs. */
class RootfsImagesTest {
    @TempDir
    Path dir;
    private final RootfsImages images = new RootfsImages();

    @Test
    void aBindSnapshotBecomesAnExt4ImageWithItsFiles() throws Exception {
        Path fs = Files.createDirectories(dir.resolve("fs/etc"));
        Files.writeString(fs.resolve("hostname"), "from-the-image\n");
        Path image = dir.resolve("disks/c.ext4");
        images.build(List.of(new Mount("bind", dir.resolve("fs").toString(), "/", List.of("rbind", "rw"))), image);
        assertEquals("from-the-image\n", debugfsCat(image, "/etc/hostname"));
        assertTrue(Files.size(image) >= RootfsImages.WRITABLE_HEADROOM, "no room for the container's writes");
    }

    @Test
    void anOverlaySnapshotIsFlattenedTopLayerFirstWithoutTouchingItsWorkDir() throws Exception {
        TestGuest.assumeRoot();
        Path lower = Files.createDirectories(dir.resolve("lower"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.writeString(lower.resolve("a"), "lower a\n");
        Files.writeString(lower.resolve("b"), "lower b\n");
        Files.writeString(upper.resolve("b"), "upper b\n");
        Path image = dir.resolve("o.ext4");
        images.build(List.of(new Mount("overlay", "overlay", "/", List.of("lowerdir=" + lower, "upperdir=" + upper,
                "workdir=" + work))), image);
        assertEquals("lower a\n", debugfsCat(image, "/a"));
        assertEquals("upper b\n", debugfsCat(image, "/b"));
        try (var w = Files.list(work)) {
            assertEquals(0, w.count(), "the snapshot's work dir was used");
        }
        assertFalse(Files.exists(dir.resolve("o.ext4.mnt")), "temporary mount point left behind");
    }

    @Test
    void unsupportedOrMissingSourcesFailAndLeaveNoImage() {
        Path image = dir.resolve("x.ext4");
        IOException tmpfs = assertThrows(IOException.class, () -> images.build(
                List.of(new Mount("tmpfs", "tmpfs", "/", List.of())), image));
        assertTrue(tmpfs.getMessage().contains("tmpfs"), tmpfs.getMessage());
        IOException missing = assertThrows(IOException.class, () -> images.build(
                List.of(new Mount("bind", dir.resolve("nope").toString(), "/", List.of())), image));
        assertTrue(missing.getMessage().contains("not a directory"), missing.getMessage());
        assertFalse(Files.exists(image));
    }

    @Test
    void readOnlyOverlayPutsTheUpperLayerOnTop() throws IOException {
        assertEquals("ro,lowerdir=/u:/l1:/l2", RootfsImages.readOnlyOverlay(List.of("lowerdir=/l1:/l2", "upperdir=/u",
                "workdir=/w")));
        assertEquals("ro,lowerdir=/l1", RootfsImages.readOnlyOverlay(List.of("ro", "lowerdir=/l1")));
        assertThrows(IOException.class, () -> RootfsImages.readOnlyOverlay(List.of("upperdir=/u")));
    }

    private static String debugfsCat(Path image, String file) throws IOException {
        return Commands.run(List.of("debugfs", "-R", "cat " + file, image.toString()));
    }
}
