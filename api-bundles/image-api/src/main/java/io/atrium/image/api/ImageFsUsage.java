package io.atrium.image.api;

import java.nio.file.Path;

/**
 * What the image filesystem holds, as CRI {@code ImageFsInfo} reports it.
 *
 * @param mountpoint the directory images are kept in
 * @param usedBytes bytes used by blobs and unpacked layers
 * @param inodesUsed files and directories used by them
 */
public record ImageFsUsage(Path mountpoint, long usedBytes, long inodesUsed, long timestampNanos) {
}
