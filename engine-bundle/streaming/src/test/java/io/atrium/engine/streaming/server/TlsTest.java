package io.atrium.engine.streaming.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.engine.streaming.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** With a configured certificate and key the server speaks TLS only and hands out https URLs. */
class TlsTest {

    @Test
    void servesHttpsWithTheConfiguredCertificate() throws Exception {
        Path dir = Files.createTempDirectory("streaming-tls");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("openssl is needed to make a test certificate: " + e.getMessage());
            return;
        }
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl made a certificate");
        StreamingSettings settings = StreamingSettings.from(Map.of(StreamingSettings.TLS_CERT, cert.toString(),
                StreamingSettings.TLS_KEY, key.toString())::get);
        try (StreamingComponent.StreamingCore server = new StreamingComponent.StreamingCore(settings, dir)) {
            assertTrue(server.baseUrl().startsWith("https://127.0.0.1:"), server.baseUrl());
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(cert)) {
                trust.setCertificateEntry("streaming", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            URI bogus = URI.create(server.baseUrl() + "/exec/bogus");
            assertEquals(404, RawHttp.get(tls.getSocketFactory(), bogus).status(), "HTTP over TLS reaches the router");
            assertThrows(IOException.class, () -> RawHttp.get(URI.create(bogus.toString().replace("https", "http"))),
                    "plain HTTP is not served");
        }
        for (Path f : List.of(cert, key, dir)) {
            Files.deleteIfExists(f);
        }
    }
}
