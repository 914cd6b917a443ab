package io.atrium.engine.images.content;

import java.nio.file.Path;

/**
 * Where image data lives under {@code <atrium.root>/images}: {@code blobs/sha256/<hex>} (content
 * addressed), {@code ingest/} (downloads in progress), {@code layers/<diffid-hex>} (unpacked layers,
 * one per uncompressed digest, shared by every image that has it), {@code snapshots/<key>} (container
 * root filesystems) and {@code images.json}.
 */
public record StoreLayout(Path base) {

    public static StoreLayout under(Path atriumRoot) {
        return new StoreLayout(atriumRoot.resolve("images"));
    }

    public Path blobs() {
        return base.resolve("blobs").resolve("sha256");
    }

    public Path blob(String digest) {
        return blobs().resolve(Digests.hex(digest));
    }

    public Path ingest() {
        return base.resolve("ingest");
    }

    public Path layers() {
        return base.resolve("layers");
    }

    public Path layer(String diffId) {
        return layers().resolve(Digests.hex(diffId));
    }

    public Path snapshots() {
        return base.resolve("snapshots");
    }

    public Path index() {
        return base.resolve("images.json");
    }
}
