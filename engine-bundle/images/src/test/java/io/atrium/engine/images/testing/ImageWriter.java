package io.atrium.engine.images.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Builds OCI images in memory and pushes them to a registry with the distribution API. */
public final class ImageWriter {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public record Blob(String mediaType, byte[] bytes, String digest) {
        public static Blob of(String mediaType, byte[] bytes) {
            return new Blob(mediaType, bytes, ImageWriter.digest(bytes));
        }

        public Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", mediaType);
            d.put("digest", digest);
            d.put("size", bytes.length);
            return d;
        }
    }

    public record Layer(Blob blob, String diffId) {
    }

    public record Image(Blob manifest, Blob config, List<Layer> layers) {
    }

    @FunctionalInterface
    public interface TarBody {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private ImageWriter() {
    }

    public static String digest(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] tar(TarBody body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            body.write(tar);
        }
        return out.toByteArray();
    }

    public static void file(TarArchiveOutputStream tar, String name, String content, int mode) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(mode);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    public static void file(TarArchiveOutputStream tar, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    public static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
        e.setMode(0755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    public static void link(TarArchiveOutputStream tar, String name, String target, byte type) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    public static Layer gzipLayer(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(tar);
        }
        return new Layer(Blob.of("application/vnd.oci.image.layer.v1.tar+gzip", out.toByteArray()), digest(tar));
    }

    public static Layer zstdLayer(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(out)) {
            z.write(tar);
        }
        return new Layer(Blob.of("application/vnd.oci.image.layer.v1.tar+zstd", out.toByteArray()), digest(tar));
    }

    /** A layer with busybox as /bin/sh and friends, plus passwd/group files. */
    public static Layer busyboxLayer() throws IOException {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        return gzipLayer(tar(t -> {
            dir(t, "bin");
            TarArchiveEntry bb = new TarArchiveEntry("bin/busybox");
            bb.setSize(busybox.length);
            bb.setMode(0755);
            t.putArchiveEntry(bb);
            t.write(busybox);
            t.closeArchiveEntry();
            link(t, "bin/sh", "busybox", TarArchiveEntry.LF_SYMLINK);
            dir(t, "etc");
            file(t, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/sh\n", 0644);
            file(t, "etc/group", "root:x:0:\nwww:x:33:\nstaff:x:50:www\n", 0644);
        }));
    }

    public static Image image(String architecture, Map<String, Object> runConfig, List<Layer> layers) throws IOException {
        return image("linux", architecture, runConfig, layers);
    }

    /** An image whose config says {@code os}/{@code architecture} (e.g. {@code wasi}/{@code wasm}). */
    public static Image image(String os, String architecture, Map<String, Object> runConfig, List<Layer> layers) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture);
        config.put("os", os);
        config.put("config", runConfig);
        config.put("rootfs", Map.of("type", "layers", "diff_ids", layers.stream().map(Layer::diffId).toList()));
        Blob configBlob = Blob.of("application/vnd.oci.image.config.v1+json", JSON.writeValueAsBytes(config));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        manifest.put("config", configBlob.descriptor());
        manifest.put("layers", layers.stream().map(l -> l.blob().descriptor()).toList());
        return new Image(Blob.of(OCI_MANIFEST, JSON.writeValueAsBytes(manifest)), configBlob, layers);
    }

    public static Blob index(Map<String, Image> byPlatform) throws IOException {
        List<Map<String, Object>> manifests = new ArrayList<>();
        byPlatform.forEach((platform, image) -> {
            String[] p = platform.split("/");
            Map<String, Object> d = image.manifest().descriptor();
            Map<String, Object> plat = new LinkedHashMap<>();
            plat.put("os", p[0]);
            plat.put("architecture", p[1]);
            if (p.length > 2) {
                plat.put("variant", p[2]);
            }
            d.put("platform", plat);
            manifests.add(d);
        });
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", OCI_INDEX);
        index.put("manifests", manifests);
        return Blob.of(OCI_INDEX, JSON.writeValueAsBytes(index));
    }

    public static void push(String registryUrl, String repo, String tag, Image image) throws Exception {
        push(registryUrl, repo, tag, image, HTTP);
    }

    public static void push(String registryUrl, String repo, String tag, Image image, HttpClient http) throws Exception {
        pushBlob(registryUrl, repo, image.config(), http);
        for (Layer l : image.layers()) {
            pushBlob(registryUrl, repo, l.blob(), http);
        }
        pushManifest(registryUrl, repo, tag, image.manifest(), http);
    }

    public static void pushIndex(String registryUrl, String repo, String tag, Blob index, List<Image> images) throws Exception {
        for (Image i : images) {
            push(registryUrl, repo, i.manifest().digest(), i);
        }
        pushManifest(registryUrl, repo, tag, index);
    }

    public static void pushBlob(String registryUrl, String repo, Blob blob) throws Exception {
        pushBlob(registryUrl, repo, blob, HTTP);
    }

    static void pushBlob(String registryUrl, String repo, Blob blob, HttpClient http) throws Exception {
        HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (start.statusCode() != 202) {
            throw new IOException("upload start: HTTP " + start.statusCode() + " " + start.body());
        }
        URI location = URI.create(registryUrl).resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.getRawQuery() == null ? "?" : "&";
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + blob.digest()))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob.bytes())).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IOException("blob upload: HTTP " + put.statusCode() + " " + put.body());
        }
    }

    public static void pushManifest(String registryUrl, String repo, String reference, Blob manifest) throws Exception {
        pushManifest(registryUrl, repo, reference, manifest, HTTP);
    }

    static void pushManifest(String registryUrl, String repo, String reference, Blob manifest, HttpClient http) throws Exception {
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repo + "/manifests/" + reference))
                .header("Content-Type", manifest.mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes())).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IOException("manifest put: HTTP " + put.statusCode() + " " + put.body());
        }
    }
}
