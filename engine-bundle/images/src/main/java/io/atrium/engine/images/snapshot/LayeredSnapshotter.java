package io.atrium.engine.images.snapshot;

import io.atrium.engine.images.content.StoreLayout;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.image.api.BlockFormat;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.Snapshotter;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.NodePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Container root filesystems over the shared unpacked layers: overlayfs (layers as lower
 * directories, a private upper directory) where the kernel has it, else a private merged copy.
 * Layout per key: {@code snapshots/<key>/snapshot.json}, {@code fs/} (upper dir or copy),
 * {@code work/} (overlayfs work dir), {@code rootfs.ext4} (block image when asked for).
 */
@Component(service = Snapshotter.class)
public final class LayeredSnapshotter implements Snapshotter {

    static final String OVERLAY = "overlay";
    static final String COPY = "copy";
    private static final String MKE2FS = "/usr/sbin/mke2fs";
    private static final String MKFS_EROFS = "/usr/bin/mkfs.erofs";

    private final ImageStore images;
    private final StoreLayout layout;
    private final SnapshotRecords records;
    private final boolean overlay;

    @Activate
    public LayeredSnapshotter(BundleContext context, @Reference ImageStore images) throws IOException {
        this(Path.of(rootOf(context)), images, overlayAvailable());
    }

    public LayeredSnapshotter(Path atriumRoot, ImageStore images, boolean useOverlay) throws IOException {
        this.images = images;
        this.layout = StoreLayout.under(atriumRoot);
        this.records = new SnapshotRecords(layout);
        this.overlay = useOverlay;
    }

    private static String rootOf(BundleContext context) {
        String root = context.getProperty(NodePaths.ROOT_PROPERTY);
        return root == null || root.isBlank() ? "/var/lib/atrium" : root;
    }

    /** Whether the running kernel lists overlayfs. */
    public static boolean overlayAvailable() {
        try {
            return Files.readAllLines(Path.of("/proc/filesystems"), StandardCharsets.US_ASCII).stream()
                    .anyMatch(l -> l.trim().endsWith("overlay"));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public synchronized List<Mount> prepare(String key, String imageId, boolean readOnly) {
        Path dir = records.dir(key);
        try {
            if (records.read(key).isPresent()) {
                throw new ImageException(Reason.ALREADY_EXISTS, "snapshot " + key + " already exists");
            }
            ImageRecord image = images.find(imageId).orElseThrow(() -> ImageException.notFound("image " + imageId + " not found"));
            for (String diffId : image.layerDiffIds()) {
                if (!Files.isDirectory(layout.layer(diffId))) {
                    throw new ImageException(Reason.FAILED_PRECONDITION, "layer " + diffId + " of image " + image.id() + " is not unpacked");
                }
            }
            Files.createDirectories(dir);
            SnapshotRecords.Snapshot s = new SnapshotRecords.Snapshot(SnapshotRecords.FORMAT_VERSION, key, image.id(),
                    image.layerDiffIds(), readOnly, overlay ? OVERLAY : COPY);
            records.write(s); // recorded first: from now on GC keeps these layers
            try {
                if (overlay) {
                    Files.createDirectories(dir.resolve("fs"));
                    Files.createDirectories(dir.resolve("work"));
                } else {
                    merge(s, dir.resolve("fs"), false);
                }
            } catch (IOException | RuntimeException e) {
                Tree.delete(dir);
                throw e;
            }
            return mountsOf(s);
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "preparing snapshot " + key + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Mount> mounts(String key) {
        try {
            return mountsOf(records.read(key).orElseThrow(() -> ImageException.notFound("snapshot " + key + " not found")));
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "reading snapshot " + key + " failed: " + e.getMessage(), e);
        }
    }

    private List<Mount> mountsOf(SnapshotRecords.Snapshot s) {
        Path dir = records.dir(s.key());
        if (s.mode().equals(COPY)) {
            return List.of(new Mount("bind", dir.resolve("fs").toString(), "/", s.readOnly() ? List.of("rbind", "ro") : List.of("rbind", "rw")));
        }
        List<String> lowers = new ArrayList<>();
        for (int i = s.layers().size() - 1; i >= 0; i--) {
            lowers.add(layout.layer(s.layers().get(i)).toString()); // overlayfs lists the top layer first
        }
        if (s.readOnly()) {
            if (lowers.size() == 1) {
                return List.of(new Mount("bind", lowers.get(0), "/", List.of("rbind", "ro")));
            }
            return List.of(new Mount(OVERLAY, OVERLAY, "/", List.of("ro", "lowerdir=" + String.join(":", lowers))));
        }
        return List.of(new Mount(OVERLAY, OVERLAY, "/", List.of("lowerdir=" + String.join(":", lowers),
                "upperdir=" + dir.resolve("fs"), "workdir=" + dir.resolve("work"))));
    }

    @Override
    public synchronized void remove(String key) {
        Path dir = records.dir(key);
        try {
            Files.deleteIfExists(dir.resolve("snapshot.json"));
            Tree.delete(dir);
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "removing snapshot " + key + " failed (is it still mounted?): " + e.getMessage(), e);
        }
    }

    @Override
    public Set<String> keys() {
        try {
            Set<String> out = new TreeSet<>();
            records.all().forEach(s -> out.add(s.key()));
            return out;
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "listing snapshots failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Path blockImage(String key, BlockFormat format) {
        SnapshotRecords.Snapshot s;
        try {
            s = records.read(key).orElseThrow(() -> ImageException.notFound("snapshot " + key + " not found"));
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, e.getMessage(), e);
        }
        Path dir = records.dir(key);
        String tool = format == BlockFormat.EXT4 ? MKE2FS : MKFS_EROFS;
        if (!Files.isExecutable(Path.of(tool))) {
            throw new ImageException(Reason.UNAVAILABLE, tool + " is not installed (package " + (format == BlockFormat.EXT4 ? "e2fsprogs" : "erofs-utils") + ")");
        }
        Path merged = null;
        Path tmp = dir.resolve("rootfs." + format.name().toLowerCase() + ".tmp");
        Path out = dir.resolve("rootfs." + format.name().toLowerCase());
        try {
            Path source;
            if (s.mode().equals(COPY)) {
                source = dir.resolve("fs");
            } else {
                merged = Files.createTempDirectory(dir, "merged-");
                merge(s, merged, true);
                source = merged;
            }
            Files.deleteIfExists(tmp);
            List<String> cmd;
            if (format == BlockFormat.EXT4) {
                long[] usage = Tree.usage(source);
                long kib = Math.max(16 * 1024, (usage[0] / 1024) * 3 / 2 + usage[1] * 4 + 16 * 1024);
                cmd = List.of(MKE2FS, "-q", "-F", "-t", "ext4", "-d", source.toString(), tmp.toString(), kib + "k");
            } else {
                cmd = List.of(MKFS_EROFS, "-q", tmp.toString(), source.toString());
            }
            run(cmd);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "building a " + format + " image of snapshot " + key + " failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
                if (merged != null) {
                    Tree.delete(merged);
                }
            } catch (IOException ignored) {
                // best effort: the snapshot directory goes with remove()
            }
        }
    }

    /** Lays the snapshot's layers (and, when asked, its upper directory) into one plain directory. */
    private void merge(SnapshotRecords.Snapshot s, Path target, boolean withUpper) throws IOException {
        Files.createDirectories(target);
        for (String diffId : s.layers()) {
            LayerMerger.apply(layout.layer(diffId), target);
        }
        if (withUpper && Files.isDirectory(records.dir(s.key()).resolve("fs"))) {
            LayerMerger.apply(records.dir(s.key()).resolve("fs"), target);
        }
    }

    private static void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException(cmd.get(0) + " exited " + p.exitValue() + ": " + output.strip());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + cmd.get(0), e);
        }
    }
}
