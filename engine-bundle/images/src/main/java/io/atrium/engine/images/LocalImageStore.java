package io.atrium.engine.images;

import io.atrium.engine.images.content.ContentStore;
import io.atrium.engine.images.content.ImageIndex;
import io.atrium.engine.images.content.Leases;
import io.atrium.engine.images.content.StoreLayout;
import io.atrium.engine.images.oci.Manifest;
import io.atrium.engine.images.oci.Platforms;
import io.atrium.engine.images.registry.RegistryClient;
import io.atrium.engine.images.registry.RegistryConfig;
import io.atrium.engine.images.registry.TrustStores;
import io.atrium.engine.images.snapshot.SnapshotRecords;
import io.atrium.engine.images.unpack.LayerStore;
import io.atrium.engine.images.unpack.LayerUnpacker;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageFsUsage;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullOptions;
import io.atrium.image.api.RegistryAuth;
import io.atrium.image.api.ResolvedUser;
import io.atrium.sandbox.api.NodePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/** The node's image store under {@code <atrium.root>/images}. */
@Component(service = ImageStore.class, configurationPid = ImagesConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ImagesConfig.class)
public final class LocalImageStore implements ImageStore {

    private static final Logger LOG = Logger.getLogger(LocalImageStore.class.getName());

    private final RegistryClient client;
    private final StoreLayout layout;
    private final ContentStore content;
    private final LayerStore layers;
    private final ImageIndex index;
    private final Catalog catalog;
    private final Leases leases = new Leases();
    private final SnapshotRecords snapshots;
    private final ExecutorService pool;
    private final ImagePuller puller;
    private final ArchiveImporter importer;

    @Activate
    public LocalImageStore(BundleContext context, ImagesConfig config) throws IOException {
        this(rootOf(context), registryConfig(config), new UnpackLimits(config.max_layer_bytes(), UnpackLimits.DEFAULTS.maxEntries()));
    }

    public LocalImageStore(Path atriumRoot, RegistryConfig registryConfig, UnpackLimits limits) throws IOException {
        this.layout = StoreLayout.under(atriumRoot);
        this.content = new ContentStore(layout);
        this.layers = new LayerStore(layout, new LayerUnpacker(limits));
        this.index = new ImageIndex(layout);
        this.catalog = new Catalog(content, index);
        this.snapshots = new SnapshotRecords(layout);
        content.clearIngest();
        layers.clearTemporary();
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(registryConfig.maxConcurrentDownloads(), r -> {
            Thread t = new Thread(r, "atrium-image-download-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = new RegistryClient(registryConfig, TrustStores.context(registryConfig.caFiles()));
        this.puller = new ImagePuller(client, content, layers, index, catalog, leases, pool, Platforms.defaults());
        this.importer = new ArchiveImporter(content, layers, index, catalog, leases, Platforms.defaults(), layout.ingest());
    }

    static Path rootOf(BundleContext context) {
        String root = context.getProperty(NodePaths.ROOT_PROPERTY);
        return Path.of(root == null || root.isBlank() ? "/var/lib/atrium" : root);
    }

    static RegistryConfig registryConfig(ImagesConfig c) {
        return new RegistryConfig(RegistryConfig.parseMirrors(c.mirrors()), Set.copyOf(Arrays.asList(c.insecure_registries())),
                Arrays.stream(c.ca_files()).map(Path::of).toList(), c.mirror_fallback(), c.max_concurrent_downloads(), c.attempts(),
                RegistryConfig.DEFAULTS.retryBackoff(), RegistryConfig.DEFAULTS.connectTimeout());
    }

    @Deactivate
    public void close() {
        pool.shutdownNow();
        client.close();
    }

    public StoreLayout layout() {
        return layout;
    }

    @Override
    public ImageRecord pull(ImageReference reference, RegistryAuth auth, PullListener listener) {
        return puller.pull(reference, auth, listener == null ? PullListener.NONE : listener);
    }

    @Override
    public ImageRecord pull(ImageReference reference, RegistryAuth auth, PullListener listener, PullOptions options) {
        if (options == null || options.platforms().isEmpty()) {
            return pull(reference, auth, listener);
        }
        List<Platforms> platforms;
        try {
            platforms = options.platforms().stream().map(Platforms::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new ImageException(ImageException.Reason.INVALID_ARGUMENT, e.getMessage());
        }
        return puller.pull(reference, auth, listener == null ? PullListener.NONE : listener, platforms);
    }

    @Override
    public List<ImageRecord> importArchive(Path archive, PullListener listener) {
        return importer.importPath(archive, listener == null ? PullListener.NONE : listener);
    }

    @Override
    public List<ImageRecord> list() {
        return catalog.list();
    }

    @Override
    public Optional<ImageRecord> find(String idOrReference) {
        return catalog.find(idOrReference);
    }

    @Override
    public boolean remove(String idOrReference) {
        Optional<ImageRecord> found = catalog.find(idOrReference);
        if (found.isEmpty()) {
            return false;
        }
        String id = found.get().id();
        try {
            List<String> users = snapshots.all().stream().filter(s -> s.imageId().equals(id)).map(SnapshotRecords.Snapshot::key).toList();
            if (!users.isEmpty()) {
                throw new ImageException(Reason.FAILED_PRECONDITION, "image " + id + " is in use by container(s) " + users);
            }
            index.removeImage(id);
            collectGarbage();
            return true;
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "removing image " + id + " failed: " + e.getMessage(), e);
        }
    }

    /** Deletes blobs and unpacked layers that no image, snapshot or running pull references. */
    public int collectGarbage() {
        return leases.exclusive(leased -> {
            try {
                Set<String> blobs = new HashSet<>(leased);
                Set<String> diffIds = new HashSet<>(leased);
                for (ImageIndex.Entry e : index.all()) {
                    blobs.add(e.target());
                    blobs.add(e.manifest());
                    blobs.add(e.config());
                    Manifest m = catalog.manifest(e.manifest());
                    m.layers().forEach(l -> blobs.add(l.digest()));
                    diffIds.addAll(catalog.config(e.config()).rootfs().diffIds());
                }
                for (SnapshotRecords.Snapshot s : snapshots.all()) {
                    diffIds.addAll(s.layers());
                }
                int removed = 0;
                for (String d : content.digests()) {
                    if (!blobs.contains(d)) {
                        content.delete(d);
                        removed++;
                    }
                }
                for (String d : layers.diffIds()) {
                    if (!diffIds.contains(d)) {
                        layers.delete(d);
                        removed++;
                    }
                }
                int count = removed;
                LOG.fine(() -> "image GC removed " + count + " blobs and layers");
                return removed;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public ImageFsUsage usage() {
        try {
            long[] blobs = Tree.usage(layout.blobs());
            long[] unpacked = Tree.usage(layout.layers());
            return new ImageFsUsage(layout.base(), blobs[0] + unpacked[0], blobs[1] + unpacked[1], System.currentTimeMillis() * 1_000_000L);
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "measuring " + layout.base() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public ResolvedUser resolveUser(String imageId, String user) {
        ImageRecord r = catalog.find(imageId).orElseThrow(() -> ImageException.notFound("image " + imageId + " not found"));
        java.util.ArrayList<Path> topFirst = r.layerDiffIds().stream().map(layers::path).collect(java.util.stream.Collectors.toCollection(java.util.ArrayList::new));
        java.util.Collections.reverse(topFirst);
        return new UserResolver(topFirst).resolve(user);
    }

    /** Layers directory of a diff id, for the snapshotter. */
    Path layerPath(String diffId) {
        return layers.path(diffId);
    }
}
