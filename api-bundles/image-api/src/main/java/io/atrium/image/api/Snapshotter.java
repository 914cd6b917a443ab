package io.atrium.image.api;

import io.atrium.sandbox.api.Mount;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Root filesystems for containers, made from an image's layers. The caller mounts what
 * {@link #prepare} returns (as containerd's snapshotters do), so a sandboxer can mount it in its own
 * mount namespace or hand it to a guest.
 */
@ProviderType
public interface Snapshotter {

    /**
     * Prepares a root filesystem for {@code key} (usually the container id): overlayfs with the
     * image layers as lower directories and a private writable upper directory, or a private copy
     * where overlayfs is unavailable. Read-only snapshots get no upper directory.
     *
     * @throws ImageException ALREADY_EXISTS for a key in use, NOT_FOUND for an unknown image
     */
    List<Mount> prepare(String key, String imageId, boolean readOnly);

    /** The mounts of an existing snapshot. */
    List<Mount> mounts(String key);

    /** Removes a snapshot and its writable layer; unknown keys are ignored. */
    void remove(String key);

    /** Keys of every snapshot. */
    Set<String> keys();

    /**
     * Writes the snapshot's current content as a filesystem image for a microVM block device and
     * returns its path; the file is replaced on each call and removed with the snapshot.
     */
    Path blockImage(String key, BlockFormat format);
}
