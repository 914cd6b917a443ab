package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.images.registry.RegistryConfig;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.ImageWriter.Image;
import io.atrium.engine.images.testing.RegistryProxy;
import io.atrium.engine.images.testing.TestRegistry;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageFsUsage;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullProgress;
import io.atrium.image.api.RegistryAuth;
import io.atrium.image.api.ResolvedUser;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from Debian's docker-registry running on 127.0.0.1. */
class PullTest {

    static TestRegistry registry;
    static Path registryDir;
    static Image busybox;
    static Image arm64;

    @TempDir
    Path root;
    LocalImageStore store;

    @BeforeAll
    static void startRegistry() throws Exception {
        registryDir = Files.createTempDirectory("atrium-registry-");
        registry = new TestRegistry(registryDir);
        busybox = ImageWriter.image("amd64", Map.of("Env", List.of("PATH=/bin"), "Cmd", List.of("sh"), "User", "www:staff",
                "WorkingDir", "/var/www", "ExposedPorts", Map.of("80/tcp", Map.of()), "StopSignal", "SIGQUIT",
                "Labels", Map.of("team", "atrium")), List.of(ImageWriter.busyboxLayer(),
                ImageWriter.zstdLayer(ImageWriter.tar(t -> ImageWriter.file(t, "hello.txt", "hi\n", 0600)))));
        ImageWriter.push(registry.url(), "test/busybox", "1.0", busybox);
        arm64 = ImageWriter.image("arm64", Map.of("Cmd", List.of("arm")), List.of(
                ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "arch", "arm64", 0644)))));
        Map<String, Image> platforms = new LinkedHashMap<>();
        platforms.put("linux/arm64/v8", arm64);
        platforms.put("linux/amd64", busybox);
        ImageWriter.pushIndex(registry.url(), "test/multi", "latest", ImageWriter.index(platforms), List.of(arm64, busybox));
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (registryDir != null) {
            io.atrium.engine.images.unpack.Tree.delete(registryDir);
        }
    }

    @BeforeEach
    void openStore() throws Exception {
        store = new LocalImageStore(root, fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static RegistryConfig fastConfig(Map<String, List<URI>> mirrors, boolean fallback) {
        return new RegistryConfig(mirrors, Set.of(), List.of(), fallback, 3, 2, Duration.ofMillis(50), Duration.ofSeconds(5));
    }

    private ImageReference ref(String repoAndTag) {
        return ImageReference.parse(registry.host() + "/" + repoAndTag);
    }

    @Test
    void pullByTagStoresVerifiedImageWithConfigAndLayers() {
        List<PullProgress> events = Collections.synchronizedList(new ArrayList<>());
        ImageRecord r = store.pull(ref("test/busybox:1.0"), RegistryAuth.ANONYMOUS, events::add);
        assertEquals(busybox.config().digest(), r.id());
        assertEquals(List.of(registry.host() + "/test/busybox:1.0"), r.repoTags());
        assertEquals(List.of(registry.host() + "/test/busybox@" + busybox.manifest().digest()), r.repoDigests());
        assertEquals(List.of("sh"), r.config().cmd());
        assertEquals("/var/www", r.config().workingDir());
        assertEquals(Set.of("80/tcp"), r.config().exposedPorts());
        assertEquals("SIGQUIT", r.config().stopSignal());
        assertEquals("atrium", r.config().labels().get("team"));
        assertTrue(events.stream().anyMatch(e -> e.phase() == PullProgress.Phase.DOWNLOADING), "progress reported");
        Path hello = store.layout().layer(busybox.layers().get(1).diffId()).resolve("hello.txt");
        assertEquals("hi\n", readString(hello), "zstd layer unpacked");
        assertTrue(Files.isExecutable(store.layout().layer(busybox.layers().get(0).diffId()).resolve("bin/busybox")));
        assertEquals(1, store.list().size());
        ResolvedUser u = store.resolveUser(r.id(), r.config().user());
        assertEquals(33, u.uid());
        assertEquals(50, u.gid());
        assertEquals(new ResolvedUser(0, 0, List.of(), "root"), store.resolveUser(r.id(), "root"));
        assertEquals(1234, store.resolveUser(r.id(), "1234").uid());
        assertEquals(Reason.NOT_FOUND, assertThrows(ImageException.class, () -> store.resolveUser(r.id(), "nobody")).reason());
    }

    @Test
    void pullByDigestAndFindByEveryName() {
        ImageRecord r = store.pull(ref("test/busybox@" + busybox.manifest().digest()), null, PullListener.NONE);
        assertEquals(busybox.config().digest(), r.id());
        assertTrue(r.repoTags().isEmpty());
        assertTrue(store.find(r.id()).isPresent());
        assertTrue(store.find(r.id().substring(7, 19)).isPresent());
        assertTrue(store.find(registry.host() + "/test/busybox@" + busybox.manifest().digest()).isPresent());
        assertFalse(store.find(registry.host() + "/test/busybox:1.0").isPresent());
    }

    @Test
    void multiArchIndexPicksAmd64() {
        ImageRecord r = store.pull(ref("test/multi"), RegistryAuth.ANONYMOUS, PullListener.NONE);
        assertEquals(busybox.config().digest(), r.id());
        assertEquals("amd64", r.config().architecture());
        assertEquals(busybox.manifest().digest(), r.manifestDigest());
        assertFalse(Files.exists(store.layout().blob(arm64.layers().get(0).blob().digest())), "arm64 layer not downloaded");
    }

    @Test
    void tokenAuthAgainstTokenServer() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(registry.url())) {
            proxy.user = "alice";
            proxy.password = "s3cret";
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/busybox:1.0");
            ImageException anon = assertThrows(ImageException.class, () -> store.pull(ref, RegistryAuth.ANONYMOUS, PullListener.NONE));
            assertEquals(Reason.UNAUTHENTICATED, anon.reason(), anon.getMessage());
            ImageException wrong = assertThrows(ImageException.class,
                    () -> store.pull(ref, new RegistryAuth("alice", "nope", null, null, null), PullListener.NONE));
            assertEquals(Reason.UNAUTHENTICATED, wrong.reason());
            assertTrue(store.list().isEmpty());
            ImageRecord r = store.pull(ref, new RegistryAuth("alice", "s3cret", null, null, null), PullListener.NONE);
            assertEquals(busybox.config().digest(), r.id());
            // a ready-made registry token is sent as is
            store.remove(r.id());
            ImageRecord again = store.pull(ref, new RegistryAuth(null, null, null, null, RegistryProxy.TOKEN), PullListener.NONE);
            assertEquals(r.id(), again.id());
        }
    }

    @Test
    void basicAuthAndIdentityToken() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(registry.url())) {
            proxy.user = "bob";
            proxy.password = "pw";
            proxy.basicOnly = true;
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/busybox:1.0");
            assertEquals(Reason.UNAUTHENTICATED, assertThrows(ImageException.class, () -> store.pull(ref, null, PullListener.NONE)).reason());
            String auth = java.util.Base64.getEncoder().encodeToString("bob:pw".getBytes());
            assertEquals(busybox.config().digest(), store.pull(ref, new RegistryAuth(null, null, auth, null, null), PullListener.NONE).id());
            store.remove(busybox.config().digest());

            proxy.basicOnly = false;
            proxy.user = null;
            proxy.identityToken = "refresh-me";
            ImageException bad = assertThrows(ImageException.class,
                    () -> store.pull(ref, new RegistryAuth(null, null, null, "stale", null), PullListener.NONE));
            assertEquals(Reason.UNAUTHENTICATED, bad.reason(), bad.getMessage());
            assertEquals(busybox.config().digest(), store.pull(ref, new RegistryAuth(null, null, null, "refresh-me", null), PullListener.NONE).id());
        }
    }

    @Test
    void httpsMirrorTrustedThroughConfiguredCa(@TempDir Path tls) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        Path key = tls.resolve("key.pem");
        Path cert = tls.resolve("cert.pem");
        Process p = new ProcessBuilder("/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", key.toString(), "-out", cert.toString(), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        Path dir = Files.createDirectories(tls.resolve("registry"));
        try (TestRegistry secure = new TestRegistry(dir, cert, key)) {
            secure.pushVia(busybox, "test/busybox", "1.0");
            Map<String, List<URI>> mirrors = Map.of("secure.example.com", List.of(URI.create("https://" + secure.host())));
            store.close();
            store = new LocalImageStore(root, new RegistryConfig(mirrors, Set.of(), List.of(), false, 2, 1, Duration.ofMillis(10),
                    Duration.ofSeconds(5)), UnpackLimits.DEFAULTS);
            ImageReference ref = ImageReference.parse("secure.example.com/test/busybox:1.0");
            ImageException untrusted = assertThrows(ImageException.class, () -> store.pull(ref, null, PullListener.NONE));
            assertEquals(Reason.UNAVAILABLE, untrusted.reason(), untrusted.getMessage());
            store.close();
            store = new LocalImageStore(root, new RegistryConfig(mirrors, Set.of(), List.of(cert), false, 2, 1, Duration.ofMillis(10),
                    Duration.ofSeconds(5)), UnpackLimits.DEFAULTS);
            assertEquals(busybox.config().digest(), store.pull(ref, null, PullListener.NONE).id());
        }
    }

    @Test
    void mirrorThatIsDownFallsBackToOrigin() throws Exception {
        int dead = TestRegistry.freePort();
        Map<String, List<URI>> mirrors = Map.of(registry.host(), List.of(URI.create("http://127.0.0.1:" + dead)));
        store.close();
        store = new LocalImageStore(root, fastConfig(mirrors, true), UnpackLimits.DEFAULTS);
        assertEquals(busybox.config().digest(), store.pull(ref("test/busybox:1.0"), null, PullListener.NONE).id());

        store.close();
        store = new LocalImageStore(root, fastConfig(mirrors, false), UnpackLimits.DEFAULTS);
        store.remove(busybox.config().digest());
        ImageException e = assertThrows(ImageException.class, () -> store.pull(ref("test/busybox:1.0"), null, PullListener.NONE));
        assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
    }

    @Test
    void mirrorKeepsRepositoryPath() throws Exception {
        try (RegistryProxy mirror = new RegistryProxy(registry.url())) {
            Map<String, List<URI>> mirrors = Map.of("registry.example.com", List.of(URI.create(mirror.url())));
            store.close();
            store = new LocalImageStore(root, fastConfig(mirrors, false), UnpackLimits.DEFAULTS);
            ImageRecord r = store.pull(ImageReference.parse("registry.example.com/test/busybox:1.0"), null, PullListener.NONE);
            assertEquals(List.of("registry.example.com/test/busybox:1.0"), r.repoTags());
            assertEquals(1, mirror.blobRequests(busybox.layers().get(0).blob().digest()));
        }
    }

    @Test
    void digestMismatchIsRejectedAndNothingStored() throws Exception {
        ImageWriter.Layer layer = ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "data", "original", 0644)));
        Image img = ImageWriter.image("amd64", Map.of(), List.of(layer));
        ImageWriter.push(registry.url(), "test/tampered", "1", img);
        Path data = registry.blobData(layer.blob().digest());
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 0x5a; // same size, other content
        Files.write(data, bytes);
        ImageException e = assertThrows(ImageException.class, () -> store.pull(ref("test/tampered:1"), null, PullListener.NONE));
        assertEquals(Reason.DATA_LOSS, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
        assertTrue(store.list().isEmpty());
        assertFalse(Files.exists(store.layout().blob(layer.blob().digest())));
        assertFalse(Files.exists(store.layout().layer(layer.diffId())));
        try (Stream<Path> s = Files.list(store.layout().ingest())) {
            assertEquals(0, s.count(), "no partial download left");
        }
    }

    @Test
    void registryKilledMidLayerGivesClearErrorAndLaterPullSucceeds() throws Exception {
        byte[] big = new byte[4 << 20];
        new Random(7).nextBytes(big);
        ImageWriter.Layer layer = ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "big.bin", big)));
        Image img = ImageWriter.image("amd64", Map.of(), List.of(layer));
        ImageWriter.push(registry.url(), "test/big", "1", img);
        try (RegistryProxy proxy = new RegistryProxy(registry.url())) {
            proxy.cutBlobsAfterBytes = 1 << 20;
            proxy.onCut = () -> {
                try {
                    registry.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/big:1");
            ImageException e = assertThrows(ImageException.class, () -> store.pull(ref, null, PullListener.NONE));
            assertEquals(Reason.UNAVAILABLE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(layer.blob().digest()), e.getMessage());
            assertTrue(store.list().isEmpty());
            assertFalse(Files.exists(store.layout().blob(layer.blob().digest())));

            registry.start();
            proxy.cutBlobsAfterBytes = -1;
            assertEquals(img.config().digest(), store.pull(ref, null, PullListener.NONE).id());
        } finally {
            if (!registryAlive()) {
                registry.start();
            }
        }
    }

    private static boolean registryAlive() {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", registry.port())) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void parallelPullsOfOneImageDownloadEachBlobOnce() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(registry.url())) {
            proxy.delayPerChunkMillis = 5; // keep downloads open long enough for the pulls to overlap
            ImageReference ref = ImageReference.parse(proxy.host() + "/test/busybox:1.0");
            ExecutorService pullers = Executors.newFixedThreadPool(5);
            try {
                List<Future<ImageRecord>> pulls = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    pulls.add(pullers.submit(() -> store.pull(ref, null, PullListener.NONE)));
                }
                for (Future<ImageRecord> f : pulls) {
                    assertEquals(busybox.config().digest(), f.get().id());
                }
            } finally {
                pullers.shutdownNow();
            }
            assertEquals(1, proxy.blobRequests(busybox.config().digest()));
            for (ImageWriter.Layer l : busybox.layers()) {
                assertEquals(1, proxy.blobRequests(l.blob().digest()), "layer " + l.blob().digest());
            }
        }
    }

    @Test
    void removeThenGcFreesBlobsAndUsageDrops() throws Exception {
        ImageFsUsage empty = store.usage();
        ImageRecord r = store.pull(ref("test/busybox:1.0"), null, PullListener.NONE);
        ImageFsUsage full = store.usage();
        assertTrue(full.usedBytes() > empty.usedBytes() + Files.size(Path.of("/bin/busybox")), full + " vs " + empty);
        assertTrue(full.inodesUsed() > empty.inodesUsed());
        assertTrue(store.remove(registry.host() + "/test/busybox:1.0"));
        assertFalse(store.remove(r.id()));
        assertTrue(store.list().isEmpty());
        ImageFsUsage after = store.usage();
        assertEquals(empty.usedBytes(), after.usedBytes());
        assertEquals(empty.inodesUsed(), after.inodesUsed());
        for (ImageWriter.Layer l : busybox.layers()) {
            assertFalse(Files.exists(store.layout().blob(l.blob().digest())));
            assertFalse(Files.exists(store.layout().layer(l.diffId())));
        }
    }

    @Test
    void imagesSurviveARestartOfTheStore() throws Exception {
        store.pull(ref("test/busybox:1.0"), null, PullListener.NONE);
        store.close();
        store = new LocalImageStore(root, fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
        assertEquals(busybox.config().digest(), store.find(registry.host() + "/test/busybox:1.0").orElseThrow().id());
    }

    @Test
    void badAnswersMapToClearReasons() throws Exception {
        assertReason(Reason.NOT_FOUND, ref("test/nothing-here:1"), "MANIFEST_UNKNOWN");
        assertReason(Reason.NOT_FOUND, ref("test/busybox:no-such-tag"), "not found");
        assertReason(Reason.UNAVAILABLE, ImageReference.parse("127.0.0.1:" + TestRegistry.freePort() + "/x/y:1"), "unreachable");
        // a manifest whose config is not an image config is refused before any layer is fetched
        ImageWriter.Blob helm = ImageWriter.Blob.of("application/vnd.cncf.helm.config.v1+json", "{}".getBytes());
        ImageWriter.pushBlob(registry.url(), "test/helm", helm);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(helm.descriptor()) + ",\"layers\":[]}";
        ImageWriter.pushManifest(registry.url(), "test/helm", "1", ImageWriter.Blob.of(ImageWriter.OCI_MANIFEST, manifest.getBytes()));
        assertReason(Reason.INVALID_ARGUMENT, ref("test/helm:1"), "not a container image");
        assertTrue(store.list().isEmpty());
    }

    private void assertReason(Reason reason, ImageReference ref, String text) {
        ImageException e = assertThrows(ImageException.class, () -> store.pull(ref, null, PullListener.NONE));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
