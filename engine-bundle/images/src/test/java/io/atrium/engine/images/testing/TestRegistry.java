package io.atrium.engine.images.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Debian's docker-registry (distribution v2) on 127.0.0.1, storage in a temp directory. */
public final class TestRegistry implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private final Path dir;
    private final int port;
    private Process process;

    public TestRegistry(Path dir) throws Exception {
        this(dir, null, null);
    }

    private boolean ownsDir;

    /** A registry in a temporary directory of its own, removed again by {@link #close}. */
    public static TestRegistry inTempDir() throws Exception {
        Path dir = Files.createTempDirectory("atrium-registry-");
        TestRegistry r = new TestRegistry(dir);
        r.ownsDir = true;
        return r;
    }

    private final boolean tls;

    /** With a certificate and key the registry serves HTTPS only. */
    public TestRegistry(Path dir, Path cert, Path key) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(BINARY), "docker-registry not installed at " + BINARY + " (apt-get install docker-registry)");
        this.dir = dir;
        this.port = freePort();
        this.tls = cert != null;
        Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: info
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(dir.resolve("storage"), port)
                + (cert == null ? "" : "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n"));
        start();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public void start() throws Exception {
        process = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("registry.log").toFile())).start();
        HttpClient http = tls ? HttpClient.newBuilder().sslContext(trustAll()).build() : HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("docker-registry did not start on port " + port);
    }

    /** Kills the registry process (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String url() {
        return (tls ? "https://" : "http://") + host();
    }

    /** Pushes over TLS without verifying: the test set the certificate up itself. */
    public void pushVia(ImageWriter.Image image, String repo, String tag) throws Exception {
        ImageWriter.push(url(), repo, tag, image, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustAll()).build());
    }

    static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.TrustManager[] all = {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }};
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, all, null);
        return ctx;
    }

    /** Where the registry keeps a blob's bytes (distribution's filesystem driver layout). */
    public Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return dir.resolve("storage/docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    @Override
    public void close() throws Exception {
        kill();
        if (ownsDir) {
            io.atrium.engine.images.unpack.Tree.delete(dir);
        }
    }
}
