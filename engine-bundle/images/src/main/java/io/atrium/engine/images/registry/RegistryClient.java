package io.atrium.engine.images.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.images.content.Digests;
import io.atrium.engine.images.oci.Descriptor;
import io.atrium.engine.images.oci.Json;
import io.atrium.engine.images.oci.MediaTypes;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.RegistryAuth;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * Client of the OCI distribution API (GET manifests and blobs) with the Docker token flow, basic
 * auth, mirrors, manual redirects (credentials never follow a redirect to another host) and
 * retries of transient failures.
 */
public final class RegistryClient implements AutoCloseable {

    static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
    private static final int MAX_REDIRECTS = 5;
    private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(10);
    private static final String USER_AGENT = "atrium/0.1";
    private static final Logger LOG = Logger.getLogger(RegistryClient.class.getName());

    private final RegistryConfig config;
    private final HttpClient http;
    private final ObjectMapper json = Json.mapper();
    private final java.util.concurrent.ScheduledExecutorService stallWatch =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "atrium-registry-stall-watch");
                t.setDaemon(true);
                return t;
            });

    public RegistryClient(RegistryConfig config, SSLContext tls) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(config.connectTimeout())
                .sslContext(tls)
                .build();
    }

    @Override
    public void close() {
        stallWatch.shutdownNow();
    }

    public RegistryConfig config() {
        return config;
    }

    /** Endpoints for a reference: its mirrors in order, then the origin unless fallback is off. */
    public List<Endpoint> endpoints(ImageReference ref) {
        List<Endpoint> out = new ArrayList<>();
        for (URI mirror : config.mirrors().getOrDefault(ref.domain(), List.of())) {
            out.add(Endpoint.mirror(mirror));
        }
        if (out.isEmpty() || config.mirrorFallback()) {
            out.add(Endpoint.origin(ref.domain(), config.insecure().contains(ref.domain())));
        }
        return out;
    }

    public Session session(ImageReference ref, RegistryAuth auth) {
        return new Session(ref, auth == null ? RegistryAuth.ANONYMOUS : auth, endpoints(ref));
    }

    /** A manifest or index as received, verified against the digest it was asked by. */
    public record FetchedManifest(String mediaType, String digest, byte[] body) {
    }

    /** Requests for one repository with one set of credentials; tokens are cached per endpoint. */
    public final class Session {
        private final ImageReference ref;
        private final RegistryAuth auth;
        private final List<Endpoint> endpoints;
        private final Map<String, String> authorization = new ConcurrentHashMap<>();
        private volatile int preferred;

        Session(ImageReference ref, RegistryAuth auth, List<Endpoint> endpoints) {
            this.ref = ref;
            this.auth = auth;
            this.endpoints = List.copyOf(endpoints);
            if (auth.registryToken() != null && !auth.registryToken().isEmpty()) {
                endpoints.forEach(e -> authorization.put(e.authority(), "Bearer " + auth.registryToken()));
            }
        }

        /** Fetches a manifest by tag or digest from the first endpoint that has it. */
        public FetchedManifest manifest(String reference) {
            ImageException last = null;
            for (int i = 0; i < endpoints.size(); i++) {
                Endpoint e = endpoints.get(i);
                try {
                    FetchedManifest m = fetchManifest(e, reference);
                    preferred = i;
                    return m;
                } catch (ImageException ex) {
                    if (!e.mirror() || ex.reason() == Reason.DATA_LOSS) {
                        throw ex;
                    }
                    LOG.info("mirror " + e.apiRoot() + " failed for " + ref + ": " + ex.getMessage());
                    last = ex;
                }
            }
            throw last != null ? last : new ImageException(Reason.UNAVAILABLE, "no endpoint configured for " + ref.domain());
        }

        /** Opens a blob's content, preferring the endpoint that served the manifest. */
        public InputStream blob(Descriptor d) {
            Digests.hex(d.digest());
            ImageException last = null;
            for (int k = 0; k < endpoints.size(); k++) {
                Endpoint e = endpoints.get((preferred + k) % endpoints.size());
                if (!e.mirror() && k > 0 && !config.mirrorFallback()) {
                    continue;
                }
                try {
                    HttpResponse<InputStream> r = send(e, ref.path() + "/blobs/" + d.digest(), "*/*", "blob " + d.digest());
                    return r.body();
                } catch (ImageException ex) {
                    if (!e.mirror()) {
                        throw ex;
                    }
                    last = ex;
                }
            }
            throw last != null ? last : new ImageException(Reason.UNAVAILABLE, "no endpoint for " + ref.domain());
        }

        private FetchedManifest fetchManifest(Endpoint e, String reference) {
            HttpResponse<InputStream> r = send(e, ref.path() + "/manifests/" + reference, MediaTypes.ACCEPT, "manifest " + ref.repository() + ":" + reference);
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            } catch (IOException ex) {
                throw new ImageException(Reason.UNAVAILABLE, "reading manifest " + reference + " from " + e.apiRoot() + " failed: " + ex, ex);
            }
            if (body.length > MAX_MANIFEST_BYTES) {
                throw new ImageException(Reason.INVALID_ARGUMENT, "manifest " + reference + " from " + e.apiRoot() + " is larger than " + MAX_MANIFEST_BYTES + " bytes");
            }
            String digest = Digests.of(body);
            if (reference.startsWith("sha256:") && !reference.equals(digest)) {
                throw new ImageException(Reason.DATA_LOSS, "manifest from " + e.apiRoot() + " has digest " + digest + ", asked for " + reference);
            }
            Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
            if (header.isPresent() && Digests.isValid(header.get()) && !header.get().equals(digest)) {
                throw new ImageException(Reason.DATA_LOSS, "manifest " + reference + " from " + e.apiRoot() + " has digest " + digest
                        + " but the registry announced " + header.get() + " (truncated or altered)");
            }
            String mediaType = mediaTypeOf(r.headers().firstValue("Content-Type").orElse(""), body, reference);
            return new FetchedManifest(mediaType, digest, body);
        }

        private String mediaTypeOf(String contentType, byte[] body, String reference) {
            String header = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
            JsonNode doc;
            try {
                doc = json.readTree(body);
            } catch (IOException ex) {
                throw new ImageException(Reason.INVALID_ARGUMENT, "manifest " + ref.repository() + ":" + reference + " is not valid JSON: " + ex.getMessage());
            }
            if (doc == null || !doc.isObject()) {
                throw new ImageException(Reason.INVALID_ARGUMENT, "manifest " + ref.repository() + ":" + reference + " is not a JSON object");
            }
            String field = doc.path("mediaType").asText("");
            String type = !field.isEmpty() ? field : header;
            if (MediaTypes.INDEXES.contains(type) || MediaTypes.MANIFESTS.contains(type)) {
                return type;
            }
            if (type.isEmpty() || type.equals("application/json")) {
                if (doc.has("manifests")) {
                    return MediaTypes.OCI_INDEX;
                }
                if (doc.has("config") && doc.has("layers")) {
                    return MediaTypes.OCI_MANIFEST;
                }
            }
            if (type.startsWith("application/vnd.docker.distribution.manifest.v1")) {
                throw new ImageException(Reason.UNIMPLEMENTED, "manifest " + ref.repository() + ":" + reference
                        + " is Docker schema 1, which is deprecated and not supported");
            }
            throw new ImageException(Reason.INVALID_ARGUMENT, "manifest " + ref.repository() + ":" + reference
                    + " has unsupported media type '" + type + "'");
        }

        /** GET with auth challenges, manual redirects and retries; returns only a 200 response. */
        private HttpResponse<InputStream> send(Endpoint e, String relative, String accept, String what) {
            URI uri = e.resolve(relative);
            boolean authenticated = false;
            int redirects = 0;
            int attempt = 0;
            Duration backoff = config.retryBackoff();
            while (true) {
                HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(config.stallTimeout())
                        .header("Accept", accept).header("User-Agent", USER_AGENT);
                boolean sameHost = uri.getRawAuthority().equals(e.authority());
                String authz = authorization.get(e.authority());
                if (sameHost && authz != null) {
                    b.header("Authorization", authz);
                }
                HttpResponse<InputStream> r;
                try {
                    r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException ex) {
                    if (++attempt >= config.attempts()) {
                        throw unreachable(e, what, ex);
                    }
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2);
                    continue;
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new ImageException(Reason.UNAVAILABLE, "interrupted while fetching " + what);
                }
                int status = r.statusCode();
                if (status == 200) {
                    InputStream guarded = new StalledReadGuard(r.body(), config.stallTimeout(), what + " from " + e.apiRoot(),
                            stallWatch);
                    return new GuardedResponse(r, guarded);
                }
                byte[] body = drain(r);
                if (status == 401 && sameHost && !authenticated) {
                    List<AuthChallenge> challenges = AuthChallenge.parse(r.headers().allValues("WWW-Authenticate"));
                    if (!challenges.isEmpty()) {
                        authorization.put(e.authority(), authenticate(e, challenges));
                        authenticated = true;
                        continue;
                    }
                }
                if (status >= 300 && status < 400 && r.headers().firstValue("Location").isPresent()) {
                    if (++redirects > MAX_REDIRECTS) {
                        throw new ImageException(Reason.UNAVAILABLE, "too many redirects fetching " + what + " from " + e.apiRoot());
                    }
                    uri = uri.resolve(r.headers().firstValue("Location").get());
                    continue;
                }
                if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) {
                    if (++attempt < config.attempts()) {
                        Duration wait = retryAfter(r).orElse(backoff);
                        sleep(wait);
                        backoff = backoff.multipliedBy(2);
                        continue;
                    }
                }
                throw failure(e, what, status, body);
            }
        }

        private String authenticate(Endpoint e, List<AuthChallenge> challenges) {
            for (AuthChallenge c : challenges) {
                if (c.scheme().equals("bearer") && c.params().containsKey("realm")) {
                    return "Bearer " + fetchToken(e, c.params());
                }
            }
            for (AuthChallenge c : challenges) {
                if (c.scheme().equals("basic")) {
                    String basic = basicCredentials();
                    if (basic == null) {
                        throw new ImageException(Reason.UNAUTHENTICATED, e.authority() + " requires a username and password for " + ref.repository());
                    }
                    return "Basic " + basic;
                }
            }
            throw new ImageException(Reason.UNAUTHENTICATED, e.authority() + " asks for an unsupported authentication scheme: " + challenges.get(0).scheme());
        }

        private String basicCredentials() {
            if (auth.auth() != null && !auth.auth().isEmpty()) {
                return auth.auth();
            }
            if (auth.username() != null && !auth.username().isEmpty()) {
                String pair = auth.username() + ":" + (auth.password() == null ? "" : auth.password());
                return Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
            }
            return null;
        }

        /** The Docker token flow: GET with basic credentials, or POST an OAuth2 refresh token. */
        private String fetchToken(Endpoint e, Map<String, String> challenge) {
            URI realm;
            try {
                realm = URI.create(challenge.get("realm"));
            } catch (IllegalArgumentException ex) {
                throw new ImageException(Reason.UNAUTHENTICATED, e.authority() + " sent an invalid token realm '" + challenge.get("realm") + "'");
            }
            if (!"https".equals(realm.getScheme()) && !("http".equals(realm.getScheme()) && (e.apiRoot().getScheme().equals("http")))) {
                throw new ImageException(Reason.UNAUTHENTICATED, "refusing token realm " + realm + " over plain HTTP for an HTTPS registry");
            }
            String service = challenge.getOrDefault("service", "");
            String scope = challenge.getOrDefault("scope", "repository:" + ref.path() + ":pull");
            HttpRequest request;
            if (auth.identityToken() != null && !auth.identityToken().isEmpty()) {
                String form = "grant_type=refresh_token&client_id=atrium&service=" + enc(service) + "&scope=" + enc(scope)
                        + "&refresh_token=" + enc(auth.identityToken());
                request = HttpRequest.newBuilder(realm).POST(HttpRequest.BodyPublishers.ofString(form))
                        .header("Content-Type", "application/x-www-form-urlencoded").header("User-Agent", USER_AGENT).build();
            } else {
                String query = "service=" + enc(service) + "&scope=" + enc(scope);
                String sep = realm.getRawQuery() == null ? "?" : "&";
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(realm + sep + query)).GET().header("User-Agent", USER_AGENT);
                String basic = basicCredentials();
                if (basic != null) {
                    b.header("Authorization", "Basic " + basic);
                }
                request = b.build();
            }
            HttpResponse<byte[]> r;
            try {
                r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException ex) {
                throw new ImageException(Reason.UNAVAILABLE, "token server " + realm.getHost() + " unreachable: " + ex, ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new ImageException(Reason.UNAVAILABLE, "interrupted while fetching a token");
            }
            if (r.statusCode() == 401) {
                throw new ImageException(Reason.UNAUTHENTICATED, "token server " + realm.getHost() + " rejected the credentials for " + ref.repository()
                        + reasonSuffix(r.body()));
            }
            if (r.statusCode() == 403) {
                throw new ImageException(Reason.PERMISSION_DENIED, "token server " + realm.getHost() + " denied " + scope + reasonSuffix(r.body()));
            }
            if (r.statusCode() != 200) {
                throw new ImageException(Reason.UNAVAILABLE, "token server " + realm.getHost() + " answered HTTP " + r.statusCode() + reasonSuffix(r.body()));
            }
            try {
                JsonNode doc = json.readTree(r.body());
                String token = doc.path("token").asText("");
                if (token.isEmpty()) {
                    token = doc.path("access_token").asText("");
                }
                if (token.isEmpty()) {
                    throw new ImageException(Reason.UNAUTHENTICATED, "token server " + realm.getHost() + " returned no token");
                }
                return token;
            } catch (IOException ex) {
                throw new ImageException(Reason.UNAUTHENTICATED, "token server " + realm.getHost() + " returned invalid JSON");
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static ImageException unreachable(Endpoint e, String what, IOException ex) {
        String cause = ex instanceof HttpConnectTimeoutException ? "connect timed out"
                : ex instanceof ConnectException || ex.getCause() instanceof ConnectException ? "connection refused or host unknown"
                : String.valueOf(ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
        return new ImageException(Reason.UNAVAILABLE, "registry " + e.apiRoot() + " unreachable fetching " + what + ": " + cause, ex);
    }

    private ImageException failure(Endpoint e, String what, int status, byte[] body) {
        String reason = " (HTTP " + status + reasonSuffix(body) + ")";
        String where = " at " + e.apiRoot();
        return switch (status) {
            case 400 -> new ImageException(Reason.INVALID_ARGUMENT, "registry rejected the request for " + what + where + reason);
            case 401 -> new ImageException(Reason.UNAUTHENTICATED, "not authorized to fetch " + what + where + reason);
            case 403 -> new ImageException(Reason.PERMISSION_DENIED, "access denied to " + what + where + reason);
            case 404 -> new ImageException(Reason.NOT_FOUND, what + " not found" + where + reason);
            case 429 -> new ImageException(Reason.UNAVAILABLE, "registry rate limit reached fetching " + what + where + reason);
            default -> new ImageException(Reason.UNAVAILABLE, "registry failed to serve " + what + where + reason);
        };
    }

    /** The registry's own words: the first error of a distribution-spec error body. */
    private String reasonSuffix(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            JsonNode first = json.readTree(body).path("errors").path(0);
            if (!first.isMissingNode()) {
                return ": " + first.path("code").asText("") + " " + first.path("message").asText("");
            }
        } catch (IOException ignored) {
            // not JSON: fall through to a short excerpt of the text
        }
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "" : ": " + text;
    }

    private static byte[] drain(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            return in.readNBytes(64 * 1024);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                Duration d = Duration.ofSeconds(Long.parseLong(v.trim()));
                return Optional.of(d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
            } catch (NumberFormatException ex) {
                return Optional.empty();
            }
        });
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException(Reason.UNAVAILABLE, "interrupted while waiting to retry");
        }
    }

    /** A 200 response whose body is the stall-guarded stream. */
    private record GuardedResponse(HttpResponse<InputStream> response, InputStream body) implements HttpResponse<InputStream> {
        @Override
        public int statusCode() {
            return response.statusCode();
        }

        @Override
        public HttpRequest request() {
            return response.request();
        }

        @Override
        public Optional<HttpResponse<InputStream>> previousResponse() {
            return response.previousResponse();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return response.headers();
        }

        @Override
        public Optional<javax.net.ssl.SSLSession> sslSession() {
            return response.sslSession();
        }

        @Override
        public URI uri() {
            return response.uri();
        }

        @Override
        public java.net.http.HttpClient.Version version() {
            return response.version();
        }
    }
}
