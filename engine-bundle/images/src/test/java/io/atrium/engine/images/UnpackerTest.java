package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.images.content.StoreLayout;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.unpack.LayerStore;
import io.atrium.engine.images.unpack.LayerUnpacker;
import io.atrium.engine.images.unpack.Syscalls;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real tarballs, hostile and benign, unpacked into a temp dir inside a sentinel-guarded tree. */
class UnpackerTest {

    @TempDir
    Path tmp;
    Path outside;
    Path root;
    LayerUnpacker unpacker = new LayerUnpacker(new UnpackLimits(1L << 30, 10_000));

    @BeforeEach
    void dirs() throws Exception {
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "precious\n");
        root = Files.createDirectories(tmp.resolve("layer"));
    }

    private void assertRefused(byte[] tar, String why) throws Exception {
        ImageException e = assertThrows(ImageException.class,
                () -> unpacker.unpack(new ByteArrayInputStream(tar), null, root, null, n -> { }));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals("precious\n", Files.readString(outside.resolve("passwd")));
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(1, s.count(), "nothing written outside the layer");
        }
    }

    @Test
    void dotDotEntryRefused() throws Exception {
        assertRefused(ImageWriter.tar(t -> ImageWriter.file(t, "a/../../outside/evil", "x", 0644)), "..");
    }

    @Test
    void absolutePathRefused() throws Exception {
        String abs = outside.resolve("evil").toString();
        assertRefused(ImageWriter.tar(t -> {
            TarArchiveEntry e = new TarArchiveEntry(abs, true); // keep the leading '/', as a hostile tool would
            e.setSize(1);
            t.putArchiveEntry(e);
            t.write('x');
            t.closeArchiveEntry();
        }), "absolute");
    }

    @Test
    void writeThroughSymlinkToOutsideRefused() throws Exception {
        assertRefused(ImageWriter.tar(t -> {
            ImageWriter.link(t, "escape", "/", TarArchiveEntry.LF_SYMLINK);
            ImageWriter.file(t, "escape" + outside + "/evil", "x", 0644);
        }), "symlink");
        assertRefused(ImageWriter.tar(t -> {
            ImageWriter.link(t, "up", "../outside", TarArchiveEntry.LF_SYMLINK);
            ImageWriter.file(t, "up/evil", "x", 0644);
        }), "symlink");
    }

    @Test
    void fileReplacingASymlinkDoesNotWriteThroughIt() throws Exception {
        unpacker.unpack(new ByteArrayInputStream(ImageWriter.tar(t -> {
            ImageWriter.link(t, "passwd", outside.resolve("passwd").toString(), TarArchiveEntry.LF_SYMLINK);
            ImageWriter.file(t, "passwd", "mine\n", 0644);
        })), null, root, null, n -> { });
        assertEquals("precious\n", Files.readString(outside.resolve("passwd")));
        assertEquals("mine\n", Files.readString(root.resolve("passwd")));
        assertFalse(Files.isSymbolicLink(root.resolve("passwd")));
    }

    @Test
    void hardlinkOutsideRefused() throws Exception {
        assertRefused(ImageWriter.tar(t -> ImageWriter.link(t, "h", "/etc/passwd", TarArchiveEntry.LF_LINK)), "absolute");
        assertRefused(ImageWriter.tar(t -> ImageWriter.link(t, "h", "../outside/passwd", TarArchiveEntry.LF_LINK)), "..");
        assertRefused(ImageWriter.tar(t -> {
            ImageWriter.link(t, "d", "../outside", TarArchiveEntry.LF_SYMLINK);
            ImageWriter.link(t, "h", "d/passwd", TarArchiveEntry.LF_LINK);
        }), "not a directory of this layer");
    }

    @Test
    void hugeSizeRefusedBeforeWriting() throws Exception {
        TarArchiveEntry e = new TarArchiveEntry("huge");
        e.setSize(1L << 40);
        byte[] header = new byte[512];
        e.writeEntryHeader(header, ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8), true);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tar.write(header);
        tar.write(new byte[4096]);
        assertRefused(tar.toByteArray(), "over the layer limit");
        assertFalse(Files.exists(root.resolve("huge")));
    }

    @Test
    void modesOwnershipLinksWhiteoutsAndOpaqueDirs() throws Exception {
        byte[] tar = ImageWriter.tar(t -> {
            ImageWriter.dir(t, "etc");
            TarArchiveEntry suid = new TarArchiveEntry("bin-su");
            suid.setMode(04755);
            suid.setSize(2);
            suid.setUserId(1000);
            suid.setGroupId(1001);
            t.putArchiveEntry(suid);
            t.write("su".getBytes());
            t.closeArchiveEntry();
            ImageWriter.file(t, "etc/hosts", "127.0.0.1 localhost\n", 0644);
            ImageWriter.link(t, "etc/hosts.link", "etc/hosts", TarArchiveEntry.LF_LINK);
            ImageWriter.link(t, "etc/rel", "../bin-su", TarArchiveEntry.LF_SYMLINK);
            ImageWriter.file(t, "etc/.wh.removed", "", 0);
            ImageWriter.dir(t, "cache");
            ImageWriter.file(t, "cache/.wh..wh..opq", "", 0);
            TarArchiveEntry x = new TarArchiveEntry("etc/capable");
            x.setSize(0);
            x.setMode(0755);
            x.addPaxHeader("SCHILY.xattr.user.atrium", "yes");
            t.putArchiveEntry(x);
            t.closeArchiveEntry();
            TarArchiveEntry dev = new TarArchiveEntry("null", TarArchiveEntry.LF_CHR);
            dev.setDevMajor(1);
            dev.setDevMinor(3);
            dev.setMode(0666);
            t.putArchiveEntry(dev);
            t.closeArchiveEntry();
        });
        String diffId = ImageWriter.digest(tar);
        unpacker.unpack(new ByteArrayInputStream(ImageWriter.gzipLayer(tar).blob().bytes()), null, root, diffId, n -> { });
        Map<String, Object> su = Files.readAttributes(root.resolve("bin-su"), "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        assertEquals(04755, ((Integer) su.get("mode")) & 07777, "setuid kept");
        assertEquals(1000, su.get("uid"));
        assertEquals(1001, su.get("gid"));
        assertEquals(Files.readAttributes(root.resolve("etc/hosts"), "unix:ino").get("ino"),
                Files.readAttributes(root.resolve("etc/hosts.link"), "unix:ino").get("ino"), "hardlink shares the inode");
        assertEquals(Path.of("../bin-su"), Files.readSymbolicLink(root.resolve("etc/rel")));
        Map<String, Object> wh = Files.readAttributes(root.resolve("etc/removed"), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0020000, ((Integer) wh.get("mode")) & 0170000, "whiteout is a character device");
        assertEquals(0L, wh.get("rdev"));
        assertArrayEquals("y".getBytes(), Syscalls.lgetxattr(root.resolve("cache"), LayerUnpacker.OVERLAY_OPAQUE_XATTR));
        assertFalse(Files.exists(root.resolve("cache/.wh..wh..opq"), LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals("yes".getBytes(), Syscalls.lgetxattr(root.resolve("etc/capable"), "user.atrium"));
        assertEquals(0x103L, Files.getAttribute(root.resolve("null"), "unix:rdev", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void diffIdMismatchRefused() throws Exception {
        byte[] tar = ImageWriter.tar(t -> ImageWriter.file(t, "a", "a", 0644));
        ImageException e = assertThrows(ImageException.class, () -> unpacker.unpack(new ByteArrayInputStream(tar), null, root,
                "sha256:" + "0".repeat(64), n -> { }));
        assertEquals(Reason.DATA_LOSS, e.reason());
    }

    @Test
    void failedLayerLeavesNoDirectoryInTheStore() throws Exception {
        StoreLayout layout = StoreLayout.under(tmp.resolve("node"));
        LayerStore store = new LayerStore(layout, unpacker);
        Path blob = tmp.resolve("blob");
        Files.write(blob, ImageWriter.tar(t -> ImageWriter.file(t, "../x", "x", 0644)));
        String diffId = ImageWriter.digest(Files.readAllBytes(blob));
        assertThrows(ImageException.class, () -> store.ensure(diffId, blob, null, n -> { }));
        try (Stream<Path> s = Files.list(layout.layers())) {
            assertEquals(0, s.count());
        }
    }
}
