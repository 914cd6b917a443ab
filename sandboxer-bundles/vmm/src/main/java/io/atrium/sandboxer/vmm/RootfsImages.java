package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.Mount;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the root filesystem the engine hands a container (an ImageService snapshot: a bind of one
 * directory, or an overlay of layer directories) into an ext4 disk image for the guest.
 *
 * <p>ext4 with {@code mke2fs -d} was chosen over erofs: the guest needs a writable root (containers
 * write to /, /tmp...), erofs is read-only and would need an overlay with a second disk or tmpfs in the
 * guest; and mkfs.erofs was not faster on busybox-sized images (see docs/benchmarks.md). The image
 * is a sparse file: its nominal size leaves room for the container's writes without using host disk.
 */
final class RootfsImages {
    /** Room for the container's own writes on top of the image contents (sparse, so free until used). */
    static final long WRITABLE_HEADROOM = 512L << 20;

    /** Builds {@code image} from {@code rootfs}; removes a half-built image on failure. */
    void build(List<Mount> rootfs, Path image) throws IOException {
        if (rootfs.size() != 1) {
            throw new IOException("expected one root filesystem mount, got " + rootfs.size());
        }
        Mount m = rootfs.get(0);
        Files.createDirectories(image.getParent());
        Path mounted = null;
        try {
            Path source;
            switch (m.type()) {
                case "bind", "rbind" -> source = Path.of(m.source());
                case "overlay" -> {
                    mounted = image.resolveSibling(image.getFileName() + ".mnt");
                    Files.createDirectories(mounted);
                    Commands.run(List.of("mount", "-t", "overlay", "overlay", "-o", readOnlyOverlay(m.options()),
                            mounted.toString()));
                    source = mounted;
                }
                default -> throw new IOException("cannot build a disk image from a " + m.type() + " mount");
            }
            if (!Files.isDirectory(source)) {
                throw new IOException("root filesystem " + source + " is not a directory");
            }
            long kib = (treeBytes(source) * 5 / 4 + WRITABLE_HEADROOM) >> 10;
            Commands.run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-E", "lazy_itable_init=1",
                    "-L", "rootfs", "-d", source.toString(), image.toString(), kib + "k"));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(image);
            throw e;
        } finally {
            if (mounted != null) {
                try {
                    Commands.run(List.of("umount", mounted.toString()));
                } catch (IOException e) {
                    Commands.run(List.of("umount", "-l", mounted.toString()));
                }
                Files.deleteIfExists(mounted);
            }
        }
    }

    /**
     * The snapshot's layers, mounted read-only: the writable layer (if any) becomes the top lower
     * layer, so the snapshot's work directory is never touched.
     */
    static String readOnlyOverlay(List<String> options) throws IOException {
        String lower = null;
        String upper = null;
        for (String o : options) {
            if (o.startsWith("lowerdir=")) {
                lower = o.substring("lowerdir=".length());
            } else if (o.startsWith("upperdir=")) {
                upper = o.substring("upperdir=".length());
            }
        }
        if (lower == null) {
            throw new IOException("overlay mount without lowerdir: " + options);
        }
        List<String> opts = new ArrayList<>(List.of("ro"));
        opts.add("lowerdir=" + (upper == null ? lower : upper + ":" + lower));
        return String.join(",", opts);
    }

    /** Bytes of all regular files plus a block per entry, for the image size. */
    static long treeBytes(Path root) throws IOException {
        long[] total = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += ((attrs.size() + 4095) & ~4095L) + 256;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                total[0] += 4096;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }
}
