package io.atrium.engine.images.unpack;

import io.atrium.engine.images.content.AtomicFiles;
import io.atrium.engine.images.content.Digests;
import io.atrium.engine.images.content.StoreLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;

/**
 * Unpacked layers, one directory per diff id, shared by every image that contains the layer. A
 * layer is unpacked into a temporary directory and renamed into place only when complete, and two
 * pulls needing the same layer unpack it once.
 */
public final class LayerStore {

    private static final String TMP_PREFIX = ".tmp-";
    private final StoreLayout layout;
    private final LayerUnpacker unpacker;
    private final ConcurrentMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    public LayerStore(StoreLayout layout, LayerUnpacker unpacker) throws IOException {
        this.layout = layout;
        this.unpacker = unpacker;
        Files.createDirectories(layout.layers());
    }

    public boolean has(String diffId) {
        return Files.isDirectory(layout.layer(diffId));
    }

    public Path path(String diffId) {
        return layout.layer(diffId);
    }

    /** Unpacks the blob as layer {@code diffId} unless it already is; concurrent callers share the work. */
    public void ensure(String diffId, Path blob, String mediaType, LongConsumer progress) throws IOException {
        Digests.hex(diffId);
        if (has(diffId)) {
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = inFlight.putIfAbsent(diffId, mine);
        if (running != null) {
            await(running);
            return;
        }
        try {
            if (!has(diffId)) {
                unpackNow(diffId, blob, mediaType, progress);
            }
            mine.complete(null);
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(diffId, mine);
        }
    }

    private void unpackNow(String diffId, Path blob, String mediaType, LongConsumer progress) throws IOException {
        Path tmp = Files.createTempDirectory(layout.layers(), TMP_PREFIX + Digests.hex(diffId).substring(0, 12) + "-");
        try {
            try (InputStream in = Files.newInputStream(blob)) {
                unpacker.unpack(in, mediaType, tmp, diffId, progress);
            }
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, layout.layer(diffId), StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.fsyncDirectory(layout.layers());
        } finally {
            Tree.delete(tmp);
        }
    }

    private static void await(CompletableFuture<Void> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a layer being unpacked", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    public Set<String> diffIds() throws IOException {
        Set<String> out = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.layers())) {
            for (Path p : ds) {
                String d = "sha256:" + p.getFileName();
                if (Digests.isValid(d)) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    public void delete(String diffId) throws IOException {
        Tree.delete(layout.layer(diffId));
    }

    /** Removes half-unpacked layers left by a crash. */
    public void clearTemporary() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(layout.layers(), TMP_PREFIX + "*")) {
            for (Path p : ds) {
                Tree.delete(p);
            }
        }
    }
}
