package io.atrium.engine.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.content.ContentStore;
import io.atrium.engine.images.content.ImageIndex;
import io.atrium.engine.images.content.Leases;
import io.atrium.engine.images.oci.ConfigFile;
import io.atrium.engine.images.oci.Descriptor;
import io.atrium.engine.images.oci.Json;
import io.atrium.engine.images.oci.Manifest;
import io.atrium.engine.images.oci.MediaTypes;
import io.atrium.engine.images.oci.Platforms;
import io.atrium.engine.images.registry.RegistryClient;
import io.atrium.engine.images.registry.RegistryClient.FetchedManifest;
import io.atrium.engine.images.unpack.LayerStore;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullProgress;
import io.atrium.image.api.PullProgress.Phase;
import io.atrium.image.api.RegistryAuth;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One pull: resolve the reference (through mirrors), pick this platform's manifest, download the
 * config and layers on a bounded pool, verify and unpack them, and only then record the image.
 * Downloads of the same blob by concurrent pulls are shared.
 */
final class ImagePuller {

    private final RegistryClient registry;
    private final ContentStore content;
    private final LayerStore layers;
    private final ImageIndex index;
    private final Catalog catalog;
    private final Leases leases;
    private final ExecutorService pool;
    private final List<Platforms> defaultPlatforms;
    private final ConcurrentMap<String, CompletableFuture<Void>> downloads = new ConcurrentHashMap<>();
    private final ObjectMapper json = Json.mapper();

    ImagePuller(RegistryClient registry, ContentStore content, LayerStore layers, ImageIndex index, Catalog catalog,
            Leases leases, ExecutorService pool, List<Platforms> defaultPlatforms) {
        this.registry = registry;
        this.content = content;
        this.layers = layers;
        this.index = index;
        this.catalog = catalog;
        this.leases = leases;
        this.pool = pool;
        this.defaultPlatforms = List.copyOf(defaultPlatforms);
    }

    ImageRecord pull(ImageReference ref, RegistryAuth auth, PullListener listener) {
        return pull(ref, auth, listener, defaultPlatforms);
    }

    /** @param platforms in order of preference: the first one the index has an entry for is pulled */
    ImageRecord pull(ImageReference ref, RegistryAuth auth, PullListener listener, List<Platforms> platforms) {
        RegistryClient.Session session = registry.session(ref, auth);
        listener.progress(new PullProgress(Phase.RESOLVING, null, 0, -1, "resolving " + ref));
        FetchedManifest top = session.manifest(ref.manifestReference());
        try (Leases.Lease lease = leases.acquire(List.of(top.digest()))) {
            FetchedManifest chosen = top;
            if (MediaTypes.INDEXES.contains(top.mediaType())) {
                Manifest idx = parse(top.body(), ref + " index");
                List<Descriptor> entries = idx.manifests() == null ? List.of() : idx.manifests();
                Descriptor d = Platforms.select(platforms, entries)
                        .orElseThrow(() -> new ImageException(Reason.NOT_FOUND, "no " + Platforms.describe(platforms)
                                + " image in the index of " + ref + " (it has " + entryPlatforms(entries) + ")"));
                lease.add(d.digest());
                chosen = session.manifest(d.digest());
                if (!MediaTypes.MANIFESTS.contains(chosen.mediaType())) {
                    throw new ImageException(Reason.INVALID_ARGUMENT, "index entry " + d.digest() + " of " + ref + " is a " + chosen.mediaType() + ", not an image manifest");
                }
            }
            Manifest m = catalog.parseImageManifest(chosen.body(), "manifest of " + ref);
            lease.add(m.config().digest());
            fetchBlob(session, m.config(), listener);
            byte[] configBytes = readConfig(m.config());
            ConfigFile cf = catalog.parseConfig(configBytes, m, ref.toString());
            List<String> diffIds = cf.rootfs().diffIds();
            m.layers().forEach(l -> lease.add(l.digest()));
            diffIds.forEach(lease::add);
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < m.layers().size(); i++) {
                Descriptor layer = m.layers().get(i);
                String diffId = diffIds.get(i);
                listener.progress(new PullProgress(Phase.WAITING, layer.digest(), 0, layer.size(), "waiting"));
                tasks.add(pool.submit(() -> {
                    fetchBlob(session, layer, listener);
                    listener.progress(new PullProgress(Phase.UNPACKING, layer.digest(), 0, layer.size(), "unpacking"));
                    layers.ensure(diffId, content.path(layer.digest()), layer.mediaType(), n -> { });
                    listener.progress(new PullProgress(Phase.DONE, layer.digest(), layer.size(), layer.size(), "pull complete"));
                    return null;
                }));
            }
            awaitAll(tasks);
            content.put(chosen.digest(), chosen.body());
            if (chosen != top) {
                content.put(top.digest(), top.body());
            }
            long now = System.currentTimeMillis();
            List<ImageIndex.Entry> names = new ArrayList<>();
            String name = ref.digest() != null ? ref.withDigest(ref.digest()) : ref.tagged();
            names.add(new ImageIndex.Entry(name, top.digest(), chosen.digest(), m.config().digest(), now));
            index.put(names);
            ImageRecord record = catalog.find(m.config().digest()).orElseThrow();
            listener.progress(new PullProgress(Phase.COMPLETE, top.digest(), record.size(), record.size(), "pulled " + ref + " as " + record.id()));
            return record;
        } catch (IOException e) {
            throw new ImageException(Reason.INTERNAL, "storing " + ref + " failed: " + e.getMessage(), e);
        }
    }

    static String entryPlatforms(List<Descriptor> entries) {
        List<String> ps = entries.stream().map(Descriptor::platform)
                .map(p -> p == null ? "no platform" : p.os() + "/" + p.architecture()
                        + (p.variant() == null || p.variant().isEmpty() ? "" : "/" + p.variant()))
                .distinct().toList();
        return ps.isEmpty() ? "no entries" : String.join(", ", ps);
    }

    private Manifest parse(byte[] body, String what) {
        try {
            return json.readValue(body, Manifest.class);
        } catch (IOException e) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + " is not valid: " + e.getMessage());
        }
    }

    private byte[] readConfig(Descriptor d) throws IOException {
        return content.read(d.digest(), Catalog.MAX_CONFIG_BYTES);
    }

    /** Downloads a blob unless stored; a second caller for the same digest waits for the first. */
    void fetchBlob(RegistryClient.Session session, Descriptor d, PullListener listener) throws IOException {
        if (content.has(d.digest())) {
            listener.progress(new PullProgress(Phase.EXISTS, d.digest(), d.size(), d.size(), "already exists"));
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = downloads.putIfAbsent(d.digest(), mine);
        if (running != null) {
            await(running);
            listener.progress(new PullProgress(Phase.EXISTS, d.digest(), d.size(), d.size(), "downloaded by a concurrent pull"));
            return;
        }
        try {
            if (!content.has(d.digest())) {
                downloadWithRetries(session, d, listener);
            }
            mine.complete(null);
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            downloads.remove(d.digest(), mine);
        }
    }

    private void downloadWithRetries(RegistryClient.Session session, Descriptor d, PullListener listener) throws IOException {
        int attempts = registry.config().attempts();
        Duration backoff = registry.config().retryBackoff();
        for (int attempt = 1; ; attempt++) {
            try (InputStream in = session.blob(d)) {
                long step = Math.max(256 * 1024, d.size() / 50);
                long[] lastReported = {0};
                content.ingest(d.digest(), d.size(), in, n -> {
                    if (n - lastReported[0] >= step || n == d.size()) {
                        lastReported[0] = n;
                        listener.progress(new PullProgress(Phase.DOWNLOADING, d.digest(), n, d.size(), "downloading"));
                    }
                });
                listener.progress(new PullProgress(Phase.VERIFYING, d.digest(), d.size(), d.size(), "verified"));
                return;
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw new ImageException(Reason.UNAVAILABLE, "download of " + d.digest() + " failed after " + attempts
                            + " attempts: " + e.getMessage(), e);
                }
            } catch (ImageException e) {
                if (e.reason() != Reason.UNAVAILABLE || attempt >= attempts) {
                    throw e;
                }
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new ImageException(Reason.UNAVAILABLE, "interrupted while downloading " + d.digest());
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    private static void await(CompletableFuture<Void> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(Reason.UNAVAILABLE, "interrupted while waiting for a download");
        } catch (ExecutionException e) {
            rethrow(e.getCause());
        }
    }

    private static void awaitAll(List<Future<?>> tasks) throws IOException {
        Throwable first = null;
        for (Future<?> t : tasks) {
            try {
                t.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                tasks.forEach(x -> x.cancel(true));
                throw new ImageException(Reason.UNAVAILABLE, "interrupted while pulling");
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause();
                }
            }
        }
        if (first != null) {
            rethrow(first);
        }
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t instanceof ImageException ie) {
            throw new ImageException(ie.reason(), ie.getMessage(), ie);
        }
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        throw new ImageException(Reason.INTERNAL, String.valueOf(t), t);
    }
}
