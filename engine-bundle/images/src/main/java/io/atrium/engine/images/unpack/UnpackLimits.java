package io.atrium.engine.images.unpack;

/**
 * Bounds on one layer, so a hostile layer cannot fill the disk or the inode table.
 *
 * @param maxLayerBytes uncompressed bytes of file content in one layer
 * @param maxEntries tar entries in one layer
 */
public record UnpackLimits(long maxLayerBytes, long maxEntries) {
    public static final UnpackLimits DEFAULTS = new UnpackLimits(64L << 30, 2_000_000);
}
