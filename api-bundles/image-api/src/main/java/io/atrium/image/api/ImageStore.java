package io.atrium.image.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** The node's images: pulled from registries or imported from archives, kept content-addressed. */
@ProviderType
public interface ImageStore {

    /**
     * Pulls an image for this node's platform. Nothing is listed until every blob has been
     * downloaded, verified and unpacked; concurrent pulls of the same blobs share the downloads.
     */
    ImageRecord pull(ImageReference reference, RegistryAuth auth, PullListener listener);

    /**
     * Pulls an image, choosing among the entries of an image index by {@code options}
     * ({@link PullOptions#DEFAULT}: the node's platform, else {@code wasi/wasm}).
     *
     * @throws ImageException NOT_FOUND when the index has no entry for any of the platforms
     * @since 1.1.0; the default ignores non-default options with UNIMPLEMENTED
     */
    default ImageRecord pull(ImageReference reference, RegistryAuth auth, PullListener listener, PullOptions options) {
        if (options == null || options.platforms().isEmpty()) {
            return pull(reference, auth, listener);
        }
        throw new ImageException(ImageException.Reason.UNIMPLEMENTED, "this image store cannot choose a platform ("
                + options.platforms() + ")");
    }

    /** Imports an OCI image layout directory, an OCI layout tarball or a docker-archive tarball. */
    List<ImageRecord> importArchive(Path archive, PullListener listener);

    List<ImageRecord> list();

    /**
     * Finds an image by id ({@code sha256:…}, or an unambiguous hex prefix of at least 12
     * characters), by reference ({@code busybox}, {@code host/a:tag}) or by repo digest.
     */
    Optional<ImageRecord> find(String idOrReference);

    /**
     * Removes the image and every tag pointing at it, then frees what no other image uses.
     *
     * @return false when there was no such image
     * @throws ImageException FAILED_PRECONDITION while a snapshot (a container) uses it
     */
    boolean remove(String idOrReference);

    ImageFsUsage usage();

    /**
     * Resolves {@code user[:group]} (names or numbers) against the image's passwd and group files.
     * Numbers need no entry; names that are not there are NOT_FOUND.
     */
    ResolvedUser resolveUser(String imageId, String user);
}
