package io.atrium.engine.images.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server in front of the test registry: counts blob downloads, can demand a bearer
 * token from its own token endpoint (the Docker token flow), and can cut a blob download halfway.
 */
public final class RegistryProxy implements AutoCloseable {

    public static final String TOKEN = "t0ken-for-tests";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    private final HttpServer server;
    private final String upstream;
    public final Map<String, AtomicInteger> blobGets = new ConcurrentHashMap<>();
    public volatile String user;
    public volatile String password;
    public volatile long cutBlobsAfterBytes = -1;
    public volatile Runnable onCut = () -> { };
    public volatile int delayPerChunkMillis;
    /** Ask for HTTP Basic on the registry itself instead of a bearer token. */
    public volatile boolean basicOnly;
    /** A refresh token the token endpoint accepts by POST (the identity-token flow). */
    public volatile String identityToken;

    public RegistryProxy(String upstreamUrl) throws IOException {
        this.upstream = upstreamUrl;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-registry-proxy");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::forward);
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public String url() {
        return "http://" + host();
    }

    public int blobRequests(String digest) {
        AtomicInteger n = blobGets.get(digest);
        return n == null ? 0 : n.get();
    }

    private void token(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("POST")) {
            String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean ok = identityToken != null && form.contains("grant_type=refresh_token")
                    && form.contains("refresh_token=" + identityToken) && form.contains("scope=repository");
            send(ex, ok ? 200 : 401, ok ? "{\"access_token\":\"" + TOKEN + "\"}" : "{\"error\":\"invalid_grant\"}");
            return;
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        String query = ex.getRequestURI().getRawQuery();
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization")) || query == null || !query.contains("scope=repository")) {
            send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
            return;
        }
        send(ex, 200, "{\"token\":\"" + TOKEN + "\",\"expires_in\":300}");
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            if (basicOnly && !basic.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"test-registry\"");
                send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"basic auth required\"}]}");
                return;
            }
            if (!basicOnly && (user != null || identityToken != null) && !("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                String repo = path.replaceFirst("^/v2/", "").replaceFirst("/(manifests|blobs)/.*$", "");
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + url() + "/token\",service=\"test-registry\",scope=\"repository:" + repo + ":pull\"");
                send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
                return;
            }
            boolean blob = path.contains("/blobs/sha256:");
            if (blob) {
                blobGets.computeIfAbsent(path.substring(path.indexOf("sha256:")), k -> new AtomicInteger()).incrementAndGet();
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()));
            String accept = ex.getRequestHeaders().getFirst("Accept");
            if (accept != null) {
                b.header("Accept", accept);
            }
            HttpResponse<InputStream> r;
            try {
                r = HTTP.send(b.method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException | InterruptedException e) {
                send(ex, 502, "upstream registry unreachable");
                return;
            }
            for (String h : List.of("Content-Type", "Docker-Content-Digest", "Location")) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            long length = r.headers().firstValueAsLong("Content-Length").orElse(0);
            ex.sendResponseHeaders(r.statusCode(), length == 0 ? -1 : length);
            try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
                byte[] buf = new byte[32 * 1024];
                long sent = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (blob && cutBlobsAfterBytes >= 0 && sent + n > cutBlobsAfterBytes) {
                        onCut.run();
                        // leave the body short: the client must see a truncated transfer
                        throw new IOException("cut by test");
                    }
                    out.write(buf, 0, n);
                    sent += n;
                    if (delayPerChunkMillis > 0) {
                        Thread.sleep(delayPerChunkMillis);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
