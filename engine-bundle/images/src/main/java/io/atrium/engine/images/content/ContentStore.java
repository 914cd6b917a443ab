package io.atrium.engine.images.content;

import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Content-addressed blobs. A blob is visible under its digest only after its size and digest were
 * verified and it was synced, so a reader never sees partial or wrong content.
 */
public final class ContentStore {

    private static final int BUFFER = 64 * 1024;
    private final StoreLayout layout;

    public ContentStore(StoreLayout layout) throws IOException {
        this.layout = layout;
        Files.createDirectories(layout.blobs());
        Files.createDirectories(layout.ingest());
    }

    public boolean has(String digest) {
        return Files.isRegularFile(layout.blob(digest));
    }

    public Path path(String digest) {
        return layout.blob(digest);
    }

    public byte[] read(String digest, long maxBytes) throws IOException {
        Path p = layout.blob(digest);
        if (Files.size(p) > maxBytes) {
            throw new ImageException(Reason.INVALID_ARGUMENT, "blob " + digest + " is larger than " + maxBytes + " bytes");
        }
        return Files.readAllBytes(p);
    }

    /**
     * Copies {@code in} into the store, checking that exactly {@code expectedSize} bytes (when
     * non-negative) with digest {@code expectedDigest} arrive.
     *
     * @throws ImageException DATA_LOSS on a size or digest mismatch; nothing is stored then
     * @throws IOException when the stream fails; nothing is stored then
     */
    public void ingest(String expectedDigest, long expectedSize, InputStream in, LongConsumer progress) throws IOException {
        Digests.hex(expectedDigest);
        Path tmp = Files.createTempFile(layout.ingest(), Digests.hex(expectedDigest).substring(0, 12) + "-", ".part");
        try {
            MessageDigest sha = Digests.sha256();
            long total = 0;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(ch)) {
                byte[] buf = new byte[BUFFER];
                int n;
                while ((n = in.read(buf)) > 0) {
                    total += n;
                    if (expectedSize >= 0 && total > expectedSize) {
                        throw new ImageException(Reason.DATA_LOSS, "blob " + expectedDigest + " is larger than the "
                                + expectedSize + " bytes its descriptor declares");
                    }
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                    progress.accept(total);
                }
                out.flush();
                ch.force(true);
            }
            if (expectedSize >= 0 && total != expectedSize) {
                throw new IOException("blob " + expectedDigest + " ended after " + total + " of " + expectedSize + " bytes");
            }
            String actual = Digests.format(sha.digest());
            if (!actual.equals(expectedDigest)) {
                throw new ImageException(Reason.DATA_LOSS, "digest mismatch: expected " + expectedDigest + ", content has " + actual);
            }
            AtomicFiles.commit(tmp, layout.blob(expectedDigest));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Stores bytes already in memory (manifests, configs) after checking their digest. */
    public void put(String expectedDigest, byte[] content) throws IOException {
        if (has(expectedDigest)) {
            return;
        }
        ingest(expectedDigest, content.length, new java.io.ByteArrayInputStream(content), n -> { });
    }

    public Set<String> digests() throws IOException {
        Set<String> all = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.blobs())) {
            for (Path p : ds) {
                String d = "sha256:" + p.getFileName();
                if (Digests.isValid(d)) {
                    all.add(d);
                }
            }
        }
        return all;
    }

    public void delete(String digest) throws IOException {
        try {
            Files.delete(layout.blob(digest));
        } catch (NoSuchFileException ignored) {
            // already gone: deleting is idempotent
        }
    }

    /** Drops downloads left behind by a crash. */
    public void clearIngest() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.ingest())) {
            for (Path p : ds) {
                io.atrium.engine.images.unpack.Tree.delete(p);
            }
        }
    }
}
