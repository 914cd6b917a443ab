package io.atrium.engine.images;

import io.atrium.engine.images.content.ContentStore;
import io.atrium.engine.images.content.ImageIndex;
import io.atrium.engine.images.content.Leases;
import io.atrium.engine.images.oci.Platforms;
import io.atrium.engine.images.unpack.LayerStore;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.PullListener;
import java.nio.file.Path;
import java.util.List;

/** Imports OCI image layouts and docker-archive tarballs. */
final class ArchiveImporter {

    ArchiveImporter(ContentStore content, LayerStore layers, ImageIndex index, Catalog catalog, Leases leases, Platforms platform) {
    }

    List<ImageRecord> importPath(Path path, PullListener listener) {
        throw new ImageException(ImageException.Reason.UNIMPLEMENTED, "import is not implemented yet");
    }
}
