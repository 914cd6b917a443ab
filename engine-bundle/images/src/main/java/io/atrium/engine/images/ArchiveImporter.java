package io.atrium.engine.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.content.ContentStore;
import io.atrium.engine.images.content.Digests;
import io.atrium.engine.images.content.ImageIndex;
import io.atrium.engine.images.content.Leases;
import io.atrium.engine.images.oci.ConfigFile;
import io.atrium.engine.images.oci.Descriptor;
import io.atrium.engine.images.oci.Json;
import io.atrium.engine.images.oci.Manifest;
import io.atrium.engine.images.oci.MediaTypes;
import io.atrium.engine.images.oci.Platforms;
import io.atrium.engine.images.unpack.LayerStore;
import io.atrium.engine.images.unpack.LayerUnpacker;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullProgress;
import io.atrium.image.api.PullProgress.Phase;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Imports images for air-gapped nodes: OCI image layout directories or tarballs, and
 * docker-archive tarballs ({@code docker save}, {@code skopeo copy … docker-archive:}). Every blob
 * is verified against its digest on the way into the content store, exactly as a pull.
 * Images named only by a tag (what {@code skopeo copy oci:dir:tag} writes) become
 * {@code localhost/<archive name>:<tag>}, podman's convention for local images.
 */
final class ArchiveImporter {

    private static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final String CONTAINERD_NAME = "io.containerd.image.name";
    private static final long MAX_ARCHIVE_BYTES = 256L << 30;

    private final ContentStore content;
    private final LayerStore layers;
    private final ImageIndex index;
    private final Catalog catalog;
    private final Leases leases;
    private final List<Platforms> platforms;
    private final Path scratch;
    private final ObjectMapper json = Json.mapper();

    ArchiveImporter(ContentStore content, LayerStore layers, ImageIndex index, Catalog catalog, Leases leases, List<Platforms> platforms, Path scratch) {
        this.scratch = scratch;
        this.content = content;
        this.layers = layers;
        this.index = index;
        this.catalog = catalog;
        this.leases = leases;
        this.platforms = List.copyOf(platforms);
    }

    List<ImageRecord> importPath(Path path, PullListener listener) {
        if (!Files.exists(path)) {
            throw ImageException.notFound("nothing to import at " + path);
        }
        String baseName = baseName(path);
        try (Leases.Lease lease = leases.acquire(List.of())) {
            List<ImageIndex.Entry> entries;
            if (Files.isDirectory(path)) {
                entries = importDirectory(path, baseName, lease, listener);
            } else {
                Path unpacked = Files.createTempDirectory(scratch, "import-"); // on the store's disk, not a small /tmp
                try {
                    extractArchive(path, unpacked);
                    entries = importDirectory(unpacked, baseName, lease, listener);
                } finally {
                    Tree.delete(unpacked);
                }
            }
            if (entries.isEmpty()) {
                throw ImageException.invalid(path + " contains no image");
            }
            index.put(entries);
            Set<String> ids = new LinkedHashSet<>();
            entries.forEach(e -> ids.add(e.config()));
            List<ImageRecord> out = new ArrayList<>();
            for (String id : ids) {
                ImageRecord r = catalog.find(id).orElseThrow();
                listener.progress(new PullProgress(Phase.COMPLETE, id, r.size(), r.size(), "imported " + String.join(", ", r.repoTags()) + " as " + id));
                out.add(r);
            }
            return out;
        } catch (IOException e) {
            throw new ImageException(Reason.INVALID_ARGUMENT, "importing " + path + " failed: " + e.getMessage(), e);
        }
    }

    private List<ImageIndex.Entry> importDirectory(Path dir, String baseName, Leases.Lease lease, PullListener listener) throws IOException {
        if (Files.isRegularFile(dir.resolve("index.json"))) {
            return importOciLayout(dir, baseName, lease, listener);
        }
        if (Files.isRegularFile(dir.resolve("manifest.json"))) {
            return importDockerArchive(dir, baseName, lease, listener);
        }
        throw ImageException.invalid(dir + " is neither an OCI image layout (index.json) nor a docker-archive (manifest.json)");
    }

    private List<ImageIndex.Entry> importOciLayout(Path dir, String baseName, Leases.Lease lease, PullListener listener) throws IOException {
        Manifest top = json.readValue(dir.resolve("index.json").toFile(), Manifest.class);
        List<ImageIndex.Entry> out = new ArrayList<>();
        for (Descriptor d : top.manifests() == null ? List.<Descriptor>of() : top.manifests()) {
            Descriptor target = d;
            byte[] targetBytes = ingest(dir, d, lease, listener);
            Descriptor chosen = d;
            byte[] manifestBytes = targetBytes;
            if (MediaTypes.INDEXES.contains(d.mediaType())) {
                Manifest idx = json.readValue(targetBytes, Manifest.class);
                List<Descriptor> entries = idx.manifests() == null ? List.of() : idx.manifests();
                chosen = Platforms.select(platforms, entries)
                        .orElseThrow(() -> ImageException.notFound("no " + Platforms.describe(platforms) + " image in "
                                + d.digest() + " (it has " + ImagePuller.entryPlatforms(entries) + ")"));
                manifestBytes = ingest(dir, chosen, lease, listener);
            } else if (!MediaTypes.MANIFESTS.contains(d.mediaType())) {
                continue; // signatures, attestations and other artifacts are not images
            }
            Manifest m = catalog.parseImageManifest(manifestBytes, "manifest " + chosen.digest());
            ConfigFile cf = catalog.parseConfig(ingest(dir, m.config(), lease, listener), m, "image " + chosen.digest());
            unpackLayers(dir, m, cf, lease, listener);
            String name = nameOf(d.annotations(), baseName, target.digest());
            out.add(new ImageIndex.Entry(name, target.digest(), chosen.digest(), m.config().digest(), System.currentTimeMillis()));
        }
        return out;
    }

    private void unpackLayers(Path dir, Manifest m, ConfigFile cf, Leases.Lease lease, PullListener listener) throws IOException {
        for (int i = 0; i < m.layers().size(); i++) {
            Descriptor l = m.layers().get(i);
            String diffId = cf.rootfs().diffIds().get(i);
            lease.add(diffId);
            ingest(dir, l, lease, listener);
            listener.progress(new PullProgress(Phase.UNPACKING, l.digest(), 0, l.size(), "unpacking"));
            layers.ensure(diffId, content.path(l.digest()), l.mediaType(), n -> { });
            listener.progress(new PullProgress(Phase.DONE, l.digest(), l.size(), l.size(), "imported"));
        }
    }

    /** Copies blob {@code d} of an OCI layout into the store (verified) and returns it if small. */
    private byte[] ingest(Path dir, Descriptor d, Leases.Lease lease, PullListener listener) throws IOException {
        lease.add(d.digest());
        Path blob = dir.resolve("blobs").resolve("sha256").resolve(Digests.hex(d.digest()));
        if (!content.has(d.digest())) {
            if (!Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS)) {
                throw ImageException.invalid("blob " + d.digest() + " is missing from " + dir);
            }
            try (InputStream in = Files.newInputStream(blob)) {
                content.ingest(d.digest(), d.size(), in, n -> { });
            }
        }
        listener.progress(new PullProgress(Phase.VERIFYING, d.digest(), d.size(), d.size(), "verified"));
        return d.size() <= Catalog.MAX_CONFIG_BYTES ? content.read(d.digest(), Catalog.MAX_CONFIG_BYTES) : null;
    }

    private List<ImageIndex.Entry> importDockerArchive(Path dir, String baseName, Leases.Lease lease, PullListener listener) throws IOException {
        JsonNode images = json.readTree(dir.resolve("manifest.json").toFile());
        List<ImageIndex.Entry> out = new ArrayList<>();
        for (JsonNode image : images) {
            Path configFile = inside(dir, image.path("Config").asText());
            byte[] configBytes = Files.readAllBytes(configFile);
            Descriptor config = new Descriptor(MediaTypes.DOCKER_CONFIG, Digests.of(configBytes), configBytes.length);
            lease.add(config.digest());
            content.put(config.digest(), configBytes);
            List<Descriptor> layerDescriptors = new ArrayList<>();
            for (JsonNode layer : image.path("Layers")) {
                Path file = inside(dir, layer.asText());
                Descriptor d = fileDescriptor(file);
                lease.add(d.digest());
                if (!content.has(d.digest())) {
                    try (InputStream in = Files.newInputStream(file)) {
                        content.ingest(d.digest(), d.size(), in, n -> { });
                    }
                }
                layerDescriptors.add(d);
            }
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", MediaTypes.DOCKER_MANIFEST);
            manifest.put("config", config);
            manifest.put("layers", layerDescriptors);
            byte[] manifestBytes = json.writeValueAsBytes(manifest);
            String manifestDigest = Digests.of(manifestBytes);
            Manifest m = catalog.parseImageManifest(manifestBytes, "docker-archive image " + configFile.getFileName());
            ConfigFile cf = catalog.parseConfig(configBytes, m, "docker-archive image " + configFile.getFileName());
            lease.add(manifestDigest);
            content.put(manifestDigest, manifestBytes);
            unpackLayers(dir, m, cf, lease, listener);
            List<String> tags = new ArrayList<>();
            image.path("RepoTags").forEach(t -> tags.add(t.asText()));
            if (tags.isEmpty()) {
                tags.add("localhost/" + baseName + "@" + manifestDigest);
            }
            for (String tag : tags) {
                ImageReference ref = ImageReference.parse(tag);
                String name = ref.digest() != null ? ref.withDigest(ref.digest()) : ref.tagged();
                out.add(new ImageIndex.Entry(name, manifestDigest, manifestDigest, config.digest(), System.currentTimeMillis()));
            }
        }
        return out;
    }

    /** A layer file's descriptor: docker-archive layers are plain tars, newer ones may be gzip. */
    private static Descriptor fileDescriptor(Path file) throws IOException {
        MessageDigest sha = Digests.sha256();
        byte[] magic;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            in.mark(2);
            magic = in.readNBytes(2);
            in.reset();
            new DigestInputStream(in, sha).transferTo(OutputStream.nullOutputStream());
        }
        boolean gzip = magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        return new Descriptor(gzip ? MediaTypes.DOCKER_LAYER : MediaTypes.OCI_LAYER, Digests.format(sha.digest()), Files.size(file));
    }

    private String nameOf(Map<String, String> annotations, String baseName, String digest) {
        Map<String, String> a = annotations == null ? Map.of() : annotations;
        String full = a.get(CONTAINERD_NAME);
        String ref = a.get(REF_NAME);
        if (full == null && ref != null && (ref.contains("/") || ref.contains(":"))) {
            full = ref; // some tools write the whole reference as ref.name
        }
        ImageReference parsed;
        if (full != null) {
            parsed = ImageReference.parse(full);
        } else if (ref != null) {
            parsed = ImageReference.parse("localhost/" + baseName + ":" + ref);
        } else {
            parsed = ImageReference.parse("localhost/" + baseName + "@" + digest);
        }
        return parsed.digest() != null ? parsed.withDigest(parsed.digest()) : parsed.tagged();
    }

    private static Path inside(Path dir, String relative) {
        List<String> parts = LayerUnpacker.safeComponents(relative);
        Path p = dir;
        for (String part : parts) {
            p = p.resolve(part);
        }
        if (parts.isEmpty() || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw ImageException.invalid("archive entry '" + relative + "' is missing or not a regular file");
        }
        return p;
    }

    /** Extracts an archive (tar or tar.gz) of regular files and directories; nothing else is needed. */
    private static void extractArchive(Path archive, Path target) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw) : raw;
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            long total = 0;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                List<String> parts = LayerUnpacker.safeComponents(e.getName());
                if (parts.isEmpty() || !(e.isFile() || e.isDirectory())) {
                    continue; // links and devices have no place in an image archive
                }
                Path p = target;
                for (int i = 0; i < parts.size(); i++) {
                    p = p.resolve(parts.get(i));
                    if (i < parts.size() - 1 || e.isDirectory()) {
                        Files.createDirectories(p);
                    }
                }
                if (e.isFile()) {
                    total += e.getSize();
                    if (total > MAX_ARCHIVE_BYTES) {
                        throw ImageException.invalid(archive + " is larger than " + MAX_ARCHIVE_BYTES + " bytes");
                    }
                    try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW)) {
                        tar.transferTo(out);
                    }
                }
            }
        }
    }

    private static String baseName(Path path) {
        String name = path.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT);
        name = name.replaceAll("\\.(tar|tgz|tar\\.gz|oci|docker)$", "").replaceAll("[^a-z0-9._-]+", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
        return name.isEmpty() ? "imported" : name;
    }
}
