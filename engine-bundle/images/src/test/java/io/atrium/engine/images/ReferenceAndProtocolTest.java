package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.atrium.engine.images.registry.AuthChallenge;
import io.atrium.engine.images.registry.Endpoint;
import io.atrium.engine.images.registry.RegistryConfig;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Reference normalisation, WWW-Authenticate parsing, endpoints, and a registry that answers badly. */
class ReferenceAndProtocolTest {

    @TempDir
    Path root;

    @ParameterizedTest
    @CsvSource({
        "busybox, docker.io/library/busybox:latest",
        "busybox:1.36, docker.io/library/busybox:1.36",
        "library/busybox, docker.io/library/busybox:latest",
        "index.docker.io/foo/bar, docker.io/foo/bar:latest",
        "registry.k8s.io/pause:3.9, registry.k8s.io/pause:3.9",
        "localhost/app, localhost/app:latest",
        "localhost:5000/a/b/c:v1, localhost:5000/a/b/c:v1",
        "127.0.0.1:5000/pause:3.9, 127.0.0.1:5000/pause:3.9",
        "[::1]:5000/pause:3.9, [::1]:5000/pause:3.9",
        "Quay.io/x, Quay.io/x:latest",
        "busybox@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, docker.io/library/busybox@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "a.io/b:t@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, a.io/b:t@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    })
    void normalises(String in, String out) {
        assertEquals(out, ImageReference.parse(in).toString());
    }

    @Test
    void digestOnlyReferenceHasNoTag() {
        ImageReference r = ImageReference.parse("busybox@sha256:" + "a".repeat(64));
        assertNull(r.tag());
        assertEquals("sha256:" + "a".repeat(64), r.manifestReference());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "library/Busybox", "UPPER", "a//b", "busybox:", "busybox:-tag", "a/b@sha256:short", "a/b@md5:zz",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "host:port:x/y", "-bad.io/x", "a/b/"})
    void rejectsMalformed(String in) {
        ImageException e = assertThrows(ImageException.class, () -> ImageReference.parse(in));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
    }

    @Test
    void parsesBearerAndBasicChallenges() {
        List<AuthChallenge> c = AuthChallenge.parse(List.of(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
                "Basic realm=\"Registry Realm\""));
        assertEquals(2, c.size());
        assertEquals("bearer", c.get(0).scheme());
        assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
                "scope", "repository:library/busybox:pull"), c.get(0).params());
        assertEquals("Registry Realm", c.get(1).params().get("realm"));
        assertEquals(2, AuthChallenge.parse(List.of("Basic realm=x, Bearer realm=\"y\",service=z")).size());
    }

    @Test
    void endpointsUseHttpOnlyForLoopbackOrInsecureAndKeepMirrorPaths() {
        assertEquals(URI.create("https://registry-1.docker.io/v2"), Endpoint.origin("docker.io", false).apiRoot());
        assertEquals("http", Endpoint.origin("127.0.0.1:5000", false).apiRoot().getScheme());
        assertEquals("http", Endpoint.origin("127.9.9.9:5000", false).apiRoot().getScheme());
        assertEquals("http", Endpoint.origin("localhost:5000", false).apiRoot().getScheme());
        assertEquals("http", Endpoint.origin("[::1]:5000", false).apiRoot().getScheme());
        assertEquals("https", Endpoint.origin("registry.k8s.io", false).apiRoot().getScheme());
        assertEquals("https", Endpoint.origin("localhost.example.com", false).apiRoot().getScheme());
        assertEquals("http", Endpoint.origin("registry.lan:5000", true).apiRoot().getScheme());
        assertEquals(URI.create("http://127.0.0.1:5000/v2/pause/manifests/3.9"),
                Endpoint.mirror(URI.create("http://127.0.0.1:5000")).resolve("pause/manifests/3.9"));
        assertEquals(URI.create("https://m.example/cache/v2/x"), Endpoint.mirror(URI.create("https://m.example/cache/v2/")).resolve("x"));
        Map<String, List<URI>> m = RegistryConfig.parseMirrors(new String[] {"registry.k8s.io=http://127.0.0.1:5000,https://m2"});
        assertEquals(List.of(URI.create("http://127.0.0.1:5000"), URI.create("https://m2")), m.get("registry.k8s.io"));
        assertThrows(ImageException.class, () -> RegistryConfig.parseMirrors(new String[] {"no-url"}));
    }

    /** A real HTTP server that answers each path with a fixed status and body. */
    @Test
    void badRegistryAnswersMapToReasons() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        AtomicInteger throttled = new AtomicInteger();
        String digest = "sha256:" + "c".repeat(64);
        server.createContext("/v2/", ex -> {
            String p = ex.getRequestURI().getPath();
            int status = 200;
            String type = "application/vnd.oci.image.manifest.v1+json";
            String body = "";
            if (p.contains("/s401/")) {
                status = 401;
                body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"who are you\"}]}";
            } else if (p.contains("/s403/")) {
                status = 403;
                body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}";
            } else if (p.contains("/s429/")) {
                throttled.incrementAndGet();
                status = 429;
                body = "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}";
            } else if (p.contains("/s503/")) {
                status = 503;
                body = "maintenance";
            } else if (p.contains("/truncated/")) {
                body = "{\"schemaVersion\":2,\"config\":{";
            } else if (p.contains("/schema1/")) {
                type = "application/vnd.docker.distribution.manifest.v1+prettyjws";
                body = "{\"schemaVersion\":1,\"name\":\"x\"}";
            } else if (p.contains("/wrongtype/")) {
                type = "text/html";
                body = "{\"mediaType\":\"text/html\"}";
            } else if (p.contains("/notjson/")) {
                type = "application/json";
                body = "[1,2,3]";
            } else if (p.contains("/swapped/")) {
                body = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", type);
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        String host = "127.0.0.1:" + server.getAddress().getPort();
        LocalImageStore store = new LocalImageStore(root, PullTest.fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
        try {
            expect(store, host + "/s401/x:1", Reason.UNAUTHENTICATED, "who are you");
            expect(store, host + "/s403/x:1", Reason.PERMISSION_DENIED, "DENIED");
            expect(store, host + "/s429/x:1", Reason.UNAVAILABLE, "TOOMANYREQUESTS");
            assertEquals(2, throttled.get(), "429 retried up to the configured attempts");
            expect(store, host + "/s503/x:1", Reason.UNAVAILABLE, "maintenance");
            expect(store, host + "/truncated/x:1", Reason.INVALID_ARGUMENT, "not valid JSON");
            expect(store, host + "/schema1/x:1", Reason.UNIMPLEMENTED, "schema 1");
            expect(store, host + "/wrongtype/x:1", Reason.INVALID_ARGUMENT, "unsupported media type 'text/html'");
            expect(store, host + "/notjson/x:1", Reason.INVALID_ARGUMENT, "not a JSON object");
            expect(store, host + "/swapped/x@" + digest, Reason.DATA_LOSS, "asked for " + digest);
            assertTrue(store.list().isEmpty());
        } finally {
            store.close();
            server.stop(0);
        }
    }

    /** A registry that sends part of a manifest and then nothing: the pull gives up, it does not hang. */
    @Test
    void stalledRegistryIsAbandonedAfterTheStallTimeout() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/v2/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            ex.sendResponseHeaders(200, 1000);
            var out = ex.getResponseBody();
            out.write("{\"schemaVersion\":2,".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                release.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
        String host = "127.0.0.1:" + server.getAddress().getPort();
        LocalImageStore store = new LocalImageStore(root,
                PullTest.fastConfig(Map.of(), true).withStallTimeout(Duration.ofSeconds(1)), UnpackLimits.DEFAULTS);
        try {
            long start = System.nanoTime();
            expect(store, host + "/stall/x:1", Reason.UNAVAILABLE, "sent nothing for 1 s");
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(seconds < 20, "gave up after " + seconds + " s");
            assertTrue(store.list().isEmpty());
        } finally {
            release.countDown();
            store.close();
            server.stop(0);
        }
    }

    private static void expect(LocalImageStore store, String ref, Reason reason, String text) {
        ImageException e = assertThrows(ImageException.class, () -> store.pull(ImageReference.parse(ref), null, PullListener.NONE));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
