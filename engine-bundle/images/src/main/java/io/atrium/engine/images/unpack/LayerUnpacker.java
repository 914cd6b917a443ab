package io.atrium.engine.images.unpack;

import com.github.luben.zstd.ZstdInputStream;
import io.atrium.engine.images.content.Digests;
import io.atrium.engine.images.oci.MediaTypes;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks one OCI layer (tar, tar+gzip, tar+zstd) into an empty directory in overlayfs form:
 * OCI whiteouts become 0:0 character devices, opaque markers the {@code trusted.overlay.opaque}
 * xattr. Nothing is ever written outside the directory: entries with {@code ..} or absolute
 * names, writes through symlinks and hardlinks to anything but an earlier entry are refused, and
 * the whole layer with them.
 */
public final class LayerUnpacker {

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    public static final String OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final String PAX_XATTR = "SCHILY.xattr.";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final UnpackLimits limits;

    public LayerUnpacker(UnpackLimits limits) {
        this.limits = limits;
    }

    /**
     * Unpacks {@code blob} into {@code root}, an existing empty directory, and checks that the
     * uncompressed stream has digest {@code expectedDiffId}.
     *
     * @return bytes of file content written
     * @throws ImageException INVALID_ARGUMENT for unsafe or malformed layers, DATA_LOSS on a diff id mismatch
     */
    public long unpack(InputStream blob, String mediaType, Path root, String expectedDiffId, LongConsumer progress) throws IOException {
        MessageDigest sha = Digests.sha256();
        try (InputStream raw = decompress(new BufferedInputStream(blob, 64 * 1024), mediaType);
             DigestInputStream digesting = new DigestInputStream(raw, sha)) {
            TarArchiveInputStream tar = new TarArchiveInputStream(digesting);
            long written = extract(tar, root, progress);
            digesting.transferTo(OutputStream.nullOutputStream()); // trailing blocks count for the diff id
            String diffId = Digests.format(sha.digest());
            if (expectedDiffId != null && !expectedDiffId.equals(diffId)) {
                throw new ImageException(Reason.DATA_LOSS, "layer content has diff id " + diffId + " but the image config lists " + expectedDiffId);
            }
            return written;
        }
    }

    static InputStream decompress(BufferedInputStream in, String mediaType) throws IOException {
        if (mediaType != null && !MediaTypes.LAYERS.contains(mediaType)) {
            throw new ImageException(Reason.UNIMPLEMENTED, "unsupported layer media type '" + mediaType + "'");
        }
        // Docker's media type says gzip for any compression, so sniff the magic instead of trusting it.
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, 64 * 1024);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return new ZstdInputStream(in);
        }
        return in;
    }

    private long extract(TarArchiveInputStream tar, Path root, LongConsumer progress) throws IOException {
        long written = 0;
        long entries = 0;
        List<Map.Entry<Path, FileTime>> dirTimes = new ArrayList<>();
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            if (++entries > limits.maxEntries()) {
                throw refuse("more than " + limits.maxEntries() + " entries");
            }
            List<String> parts = components(e.getName());
            if (parts.isEmpty()) {
                continue; // the layer root itself ("./")
            }
            String base = parts.get(parts.size() - 1);
            Path parent = parentDir(root, parts, e.getName());
            if (base.startsWith(WHITEOUT_PREFIX)) {
                whiteout(parent, base, e.getName());
                continue;
            }
            Path target = parent.resolve(base);
            if (e.isDirectory()) {
                if (!Files.isDirectory(target, NOFOLLOW)) {
                    deleteExisting(target);
                    Files.createDirectory(target);
                }
            } else {
                deleteExisting(target);
                if (e.isSymbolicLink()) {
                    // The target is never followed while unpacking; it is resolved inside the container.
                    Files.createSymbolicLink(target, Paths.get(e.getLinkName()));
                } else if (e.isLink()) {
                    hardlink(root, target, e);
                } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                    int type = e.isCharacterDevice() ? Syscalls.S_IFCHR : e.isBlockDevice() ? Syscalls.S_IFBLK : Syscalls.S_IFIFO;
                    Syscalls.mknod(target, type | (e.getMode() & 07777), e.getDevMajor(), e.getDevMinor());
                } else if (e.isFile()) {
                    long size = e.getSize();
                    if (size < 0 || size > limits.maxLayerBytes() - written) {
                        throw refuse("entry " + e.getName() + " claims " + size + " bytes, over the layer limit of " + limits.maxLayerBytes());
                    }
                    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        long copied = tar.transferTo(out);
                        if (copied != size) {
                            throw refuse("entry " + e.getName() + " is truncated: " + copied + " of " + size + " bytes");
                        }
                    }
                    written += size;
                    progress.accept(written);
                } else {
                    continue; // other tar types (GNU volume headers and such) carry no file
                }
            }
            applyMetadata(target, e);
            if (e.isDirectory()) {
                dirTimes.add(Map.entry(target, FileTime.from(e.getModTime().toInstant())));
            }
        }
        // Directory times last: creating their children changed them.
        for (int i = dirTimes.size() - 1; i >= 0; i--) {
            Files.setLastModifiedTime(dirTimes.get(i).getKey(), dirTimes.get(i).getValue());
        }
        return written;
    }

    /** Splits an entry name into safe components, refusing absolute names and any "..". */
    public static List<String> safeComponents(String name) {
        return components(name);
    }

    static List<String> components(String name) {
        if (name.startsWith("/")) {
            throw refuse("entry '" + name + "' has an absolute path");
        }
        if (name.indexOf('\0') >= 0) {
            throw refuse("entry name contains a NUL byte");
        }
        List<String> out = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                throw refuse("entry '" + name + "' contains '..'");
            }
            out.add(p);
        }
        return out;
    }

    /**
     * Walks to the entry's parent, creating missing directories. A symlink (or file) on the way
     * ends the layer: following it could lead anywhere.
     */
    private static Path parentDir(Path root, List<String> parts, String name) throws IOException {
        Path dir = root;
        for (int i = 0; i < parts.size() - 1; i++) {
            dir = dir.resolve(parts.get(i));
            BasicFileAttributes a = attrs(dir);
            if (a == null) {
                Files.createDirectory(dir);
            } else if (a.isSymbolicLink()) {
                throw refuse("entry '" + name + "' would be written through the symlink " + root.relativize(dir));
            } else if (!a.isDirectory()) {
                throw refuse("entry '" + name + "' has the non-directory " + root.relativize(dir) + " as parent");
            }
        }
        return dir;
    }

    private static void whiteout(Path parent, String base, String name) throws IOException {
        if (base.equals(OPAQUE)) {
            Syscalls.lsetxattr(parent, OVERLAY_OPAQUE_XATTR, "y".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
            return; // other AUFS metadata (.wh..wh.plnk and such) means nothing to overlayfs
        }
        String hidden = base.substring(WHITEOUT_PREFIX.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw refuse("whiteout '" + name + "' names no file");
        }
        Path target = parent.resolve(hidden);
        deleteExisting(target);
        Syscalls.mknod(target, Syscalls.S_IFCHR, 0, 0); // overlayfs's whiteout: a 0:0 character device
    }

    private static void hardlink(Path root, Path target, TarArchiveEntry e) throws IOException {
        List<String> linkParts = components(e.getLinkName());
        if (linkParts.isEmpty()) {
            throw refuse("hardlink '" + e.getName() + "' points at the layer root");
        }
        Path source = parentDirExisting(root, linkParts, e.getName()).resolve(linkParts.get(linkParts.size() - 1));
        BasicFileAttributes a = attrs(source);
        if (a == null || a.isDirectory()) {
            throw refuse("hardlink '" + e.getName() + "' points at '" + e.getLinkName() + "', which is not an earlier file of this layer");
        }
        Files.createLink(target, source); // link(2) does not follow a symlink source
    }

    /** Like {@link #parentDir} but creates nothing: a hardlink source must already exist. */
    private static Path parentDirExisting(Path root, List<String> parts, String name) throws IOException {
        Path dir = root;
        for (int i = 0; i < parts.size() - 1; i++) {
            dir = dir.resolve(parts.get(i));
            BasicFileAttributes a = attrs(dir);
            if (a == null || !a.isDirectory() || a.isSymbolicLink()) {
                throw refuse("hardlink '" + name + "' points through " + root.relativize(dir) + ", which is not a directory of this layer");
            }
        }
        return dir;
    }

    private static void applyMetadata(Path p, TarArchiveEntry e) throws IOException {
        boolean symlink = e.isSymbolicLink();
        Files.setAttribute(p, "unix:gid", (int) e.getLongGroupId(), NOFOLLOW);
        Files.setAttribute(p, "unix:uid", (int) e.getLongUserId(), NOFOLLOW);
        if (!symlink && !e.isLink()) {
            // after chown, which clears setuid/setgid
            Files.setAttribute(p, "unix:mode", e.getMode() & 07777);
            if (!e.isDirectory()) {
                Files.setLastModifiedTime(p, FileTime.from(e.getModTime().toInstant()));
            }
        }
        for (Map.Entry<String, String> h : e.getExtraPaxHeaders().entrySet()) {
            if (h.getKey().startsWith(PAX_XATTR)) {
                String name = h.getKey().substring(PAX_XATTR.length());
                if (!name.startsWith("trusted.overlay.")) { // only whiteouts may set overlay's own attributes
                    Syscalls.lsetxattr(p, name, h.getValue().getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        }
    }

    private static void deleteExisting(Path target) throws IOException {
        BasicFileAttributes a = attrs(target);
        if (a == null) {
            return;
        }
        if (a.isDirectory()) {
            Tree.delete(target);
        } else {
            Files.delete(target);
        }
    }

    static BasicFileAttributes attrs(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (java.nio.file.NoSuchFileException ex) {
            return null;
        }
    }

    static ImageException refuse(String why) {
        return new ImageException(Reason.INVALID_ARGUMENT, "unsafe or malformed layer: " + why);
    }
}
