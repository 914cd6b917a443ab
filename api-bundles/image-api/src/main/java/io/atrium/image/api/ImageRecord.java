package io.atrium.image.api;

import java.time.Instant;
import java.util.List;

/**
 * One image in the store.
 *
 * @param id the config digest ({@code sha256:…}), as the CRI and containerd identify images
 * @param repoTags every {@code domain/path:tag} that points at it
 * @param repoDigests every {@code domain/path@digest} it was pulled or imported by
 * @param manifestDigest digest of the platform manifest the layers come from
 * @param size sum of the compressed layer sizes plus config, as registries report image size
 * @param layerDiffIds uncompressed layer digests, bottom layer first
 * @param created when it entered the store
 */
public record ImageRecord(String id, List<String> repoTags, List<String> repoDigests, String manifestDigest,
        long size, List<String> layerDiffIds, ImageConfig config, Instant created) {

    public ImageRecord {
        repoTags = List.copyOf(repoTags);
        repoDigests = List.copyOf(repoDigests);
        layerDiffIds = List.copyOf(layerDiffIds);
    }
}
