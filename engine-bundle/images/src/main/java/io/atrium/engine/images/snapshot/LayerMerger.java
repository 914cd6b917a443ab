package io.atrium.engine.images.snapshot;

import io.atrium.engine.images.unpack.LayerUnpacker;
import io.atrium.engine.images.unpack.Syscalls;
import io.atrium.engine.images.unpack.Tree;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * Applies unpacked layers (overlayfs form) one over another into a plain directory, the way
 * overlayfs would present them: whiteouts delete, opaque directories hide what is below.
 * Used where overlayfs is unavailable and to build block images for microVMs.
 */
final class LayerMerger {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private LayerMerger() {
    }

    static void apply(Path layer, Path target) throws IOException {
        Files.walkFileTree(layer, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path dest = target.resolve(layer.relativize(dir).toString());
                byte[] opaque = Syscalls.lgetxattr(dir, LayerUnpacker.OVERLAY_OPAQUE_XATTR);
                if (opaque != null && opaque.length == 1 && opaque[0] == 'y' && Files.isDirectory(dest, NOFOLLOW)) {
                    Tree.delete(dest);
                }
                if (!Files.isDirectory(dest, NOFOLLOW)) {
                    if (Files.exists(dest, NOFOLLOW)) {
                        Files.delete(dest);
                    }
                    Files.createDirectory(dest);
                }
                copyOwnerAndMode(dir, dest);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path dest = target.resolve(layer.relativize(file).toString());
                Map<String, Object> unix = Files.readAttributes(file, "unix:mode,rdev", NOFOLLOW);
                int mode = (Integer) unix.get("mode");
                long rdev = (Long) unix.get("rdev");
                int type = mode & 0170000;
                if (Files.exists(dest, NOFOLLOW)) {
                    if (Files.isDirectory(dest, NOFOLLOW)) {
                        Tree.delete(dest);
                    } else {
                        Files.delete(dest);
                    }
                }
                if (type == Syscalls.S_IFCHR && rdev == 0) {
                    return FileVisitResult.CONTINUE; // a whiteout: the lower file is gone
                }
                if (attrs.isSymbolicLink()) {
                    Files.createSymbolicLink(dest, Files.readSymbolicLink(file));
                } else if (type == Syscalls.S_IFCHR || type == Syscalls.S_IFBLK || type == Syscalls.S_IFIFO) {
                    Syscalls.mknod(dest, mode, (rdev >> 8) & 0xfff, (rdev & 0xff) | ((rdev >> 12) & 0xfff00));
                } else {
                    Files.copy(file, dest, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
                copyOwnerAndMode(file, dest);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void copyOwnerAndMode(Path from, Path to) throws IOException {
        Map<String, Object> a = Files.readAttributes(from, "unix:uid,gid,mode", NOFOLLOW);
        Files.setAttribute(to, "unix:gid", a.get("gid"), NOFOLLOW);
        Files.setAttribute(to, "unix:uid", a.get("uid"), NOFOLLOW);
        if (!Files.isSymbolicLink(to)) {
            Files.setAttribute(to, "unix:mode", ((Integer) a.get("mode")) & 07777);
        }
    }
}
