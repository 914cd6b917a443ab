package io.atrium.engine.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.content.ContentStore;
import io.atrium.engine.images.content.Digests;
import io.atrium.engine.images.content.ImageIndex;
import io.atrium.engine.images.oci.ConfigFile;
import io.atrium.engine.images.oci.Descriptor;
import io.atrium.engine.images.oci.Json;
import io.atrium.engine.images.oci.Manifest;
import io.atrium.engine.images.oci.MediaTypes;
import io.atrium.image.api.ImageConfig;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Turns index entries and stored manifests/configs into {@link ImageRecord}s and finds images. */
final class Catalog {

    static final long MAX_CONFIG_BYTES = 8 * 1024 * 1024;
    private final ContentStore content;
    private final ImageIndex index;
    private final ObjectMapper json = Json.mapper();
    private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();
    private final Map<String, ConfigFile> configs = new ConcurrentHashMap<>();

    Catalog(ContentStore content, ImageIndex index) {
        this.content = content;
        this.index = index;
    }

    Manifest manifest(String digest) {
        return manifests.computeIfAbsent(digest, d -> {
            try {
                return json.readValue(content.read(d, MAX_CONFIG_BYTES), Manifest.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    ConfigFile config(String digest) {
        return configs.computeIfAbsent(digest, d -> {
            try {
                return json.readValue(content.read(d, MAX_CONFIG_BYTES), ConfigFile.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    List<ImageRecord> list() {
        Map<String, List<ImageIndex.Entry>> byConfig = new LinkedHashMap<>();
        for (ImageIndex.Entry e : index.all()) {
            byConfig.computeIfAbsent(e.config(), c -> new ArrayList<>()).add(e);
        }
        List<ImageRecord> out = new ArrayList<>();
        byConfig.forEach((config, entries) -> out.add(record(config, entries)));
        return out;
    }

    private ImageRecord record(String configDigest, List<ImageIndex.Entry> entries) {
        List<String> tags = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        long created = Long.MAX_VALUE;
        for (ImageIndex.Entry e : entries) {
            int at = e.name().indexOf('@');
            String repo = at >= 0 ? e.name().substring(0, at) : e.name().substring(0, e.name().lastIndexOf(':'));
            if (at < 0) {
                tags.add(e.name());
            }
            String repoDigest = repo + "@" + e.target();
            if (!digests.contains(repoDigest)) {
                digests.add(repoDigest);
            }
            created = Math.min(created, e.createdEpochMillis());
        }
        ImageIndex.Entry first = entries.get(0);
        Manifest m = manifest(first.manifest());
        long size = m.config().size() + m.layers().stream().mapToLong(Descriptor::size).sum();
        ConfigFile cf = config(configDigest);
        return new ImageRecord(configDigest, tags, digests, first.manifest(), size,
                cf.rootfs() == null ? List.of() : cf.rootfs().diffIds(), toApi(cf), Instant.ofEpochMilli(created));
    }

    static ImageConfig toApi(ConfigFile cf) {
        ConfigFile.Config c = cf.config();
        if (c == null) {
            return new ImageConfig(cf.os(), cf.architecture(), cf.variant(), null, null, null, null, null, null, null, null, null);
        }
        return new ImageConfig(cf.os(), cf.architecture(), cf.variant(), c.user(), c.env(), c.entrypoint(), c.cmd(), c.workingDir(),
                c.exposedPorts() == null ? null : c.exposedPorts().keySet(), c.volumes() == null ? null : c.volumes().keySet(),
                c.labels(), c.stopSignal());
    }

    /** Finds by id, unambiguous id prefix (12+ hex), name, or repo digest. */
    Optional<ImageRecord> find(String key) {
        if (key == null || key.isBlank()) {
            throw ImageException.invalid("image reference is empty");
        }
        List<ImageRecord> all = list();
        String k = key.trim();
        String idKey = k.startsWith("sha256:") ? k : "sha256:" + k;
        for (ImageRecord r : all) {
            if (r.id().equals(idKey)) {
                return Optional.of(r);
            }
        }
        if (k.matches("(sha256:)?[a-f0-9]{12,63}")) {
            List<ImageRecord> matches = all.stream().filter(r -> r.id().startsWith(idKey)).toList();
            if (matches.size() == 1) {
                return Optional.of(matches.get(0));
            }
            if (matches.size() > 1) {
                throw ImageException.invalid("image id prefix '" + k + "' is ambiguous");
            }
        }
        if (Digests.isValid(k)) {
            return Optional.empty();
        }
        ImageReference ref = ImageReference.parse(k);
        for (ImageRecord r : all) {
            if (ref.digest() != null) {
                if (r.repoDigests().contains(ref.withDigest(ref.digest())) || r.manifestDigest().equals(ref.digest())
                        && r.repoDigests().stream().anyMatch(d -> d.startsWith(ref.repository() + "@"))) {
                    return Optional.of(r);
                }
            } else if (r.repoTags().contains(ref.tagged())) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** Checks that a manifest is an image we can run and returns it parsed. */
    Manifest parseImageManifest(byte[] body, String what) {
        Manifest m;
        try {
            m = json.readValue(body, Manifest.class);
        } catch (IOException e) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + " is not a valid image manifest: " + e.getMessage());
        }
        if (m.config() == null || m.layers() == null) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + " has no config or layers");
        }
        if (!MediaTypes.CONFIGS.contains(m.config().mediaType())) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + " is not a container image (config media type '"
                    + m.config().mediaType() + "')");
        }
        Digests.hex(m.config().digest());
        for (Descriptor l : m.layers()) {
            Digests.hex(l.digest());
            if (!MediaTypes.LAYERS.contains(l.mediaType())) {
                throw new ImageException(Reason.UNIMPLEMENTED, what + " has a layer of unsupported media type '" + l.mediaType() + "'");
            }
            if (l.size() < 0) {
                throw new ImageException(Reason.INVALID_ARGUMENT, what + " has a layer with a negative size");
            }
        }
        return m;
    }

    ConfigFile parseConfig(byte[] body, Manifest m, String what) {
        ConfigFile cf;
        try {
            cf = json.readValue(body, ConfigFile.class);
        } catch (IOException e) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + " has an invalid image config: " + e.getMessage());
        }
        List<String> diffIds = cf.rootfs() == null ? null : cf.rootfs().diffIds();
        if (diffIds == null || diffIds.size() != m.layers().size()) {
            throw new ImageException(Reason.INVALID_ARGUMENT, what + ": config lists " + (diffIds == null ? 0 : diffIds.size())
                    + " diff ids for " + m.layers().size() + " layers");
        }
        diffIds.forEach(Digests::hex);
        return cf;
    }
}
