package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Signed bundles only (strict), the update gate and dry runs, on a real node. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleTrustTest {

    private NodeProcess node;
    private String before;

    @BeforeAll
    void startNode() throws Exception {
        node = NodeProcess.unpack().start();
        before = node.admin("bundle", "list").toString();
    }

    @AfterAll
    void stopNode() throws Exception {
        node.close();
    }

    private void assertNothingInstalled() throws IOException {
        assertEquals(before, node.admin("bundle", "list").toString(), "node unchanged");
    }

    @Test
    void coreBundlesShipSignedByTheBuild() throws Exception {
        JsonNode rows = node.admin("bundle", "list");
        for (JsonNode r : rows) {
            assertEquals("signed", r.path("trust").asText(), r.toString());
        }
        assertTrue(Files.exists(node.home.resolve("conf/trusted-signers/atrium-build.pem")));
    }

    @Test
    void unsignedJarIsRefusedInStrictMode() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "install", NodeProcess.unsignedFixture("counter-v1").toString());
        assertEquals(77, c.exit(), "EX_NOPERM");
        assertTrue(c.err().contains("the jar is not signed") && c.err().contains("PERMISSION_DENIED"), c.err());
        assertNothingInstalled();
    }

    @Test
    void tamperedJarIsRefused() throws Exception {
        Path signed = NodeProcess.fixture("counter-v1");
        Path tampered = node.dir.resolve("tampered.jar");
        try (InputStream in = Files.newInputStream(signed); ZipInputStream zin = new ZipInputStream(in);
                OutputStream out = Files.newOutputStream(tampered); ZipOutputStream zout = new ZipOutputStream(out)) {
            boolean changed = false;
            for (ZipEntry e; (e = zin.getNextEntry()) != null;) {
                byte[] data = zin.readAllBytes();
                if (!changed && e.getName().endsWith(".class")) {
                    data[data.length - 1] ^= 0x1; // one bit of one class, after signing
                    changed = true;
                }
                zout.putNextEntry(new ZipEntry(e.getName()));
                zout.write(data);
                zout.closeEntry();
            }
            assertTrue(changed);
        }
        NodeProcess.Cli c = node.cli("bundle", "install", tampered.toString());
        assertEquals(77, c.exit());
        assertTrue(c.err().contains("was changed after signing"), c.err());
        assertNothingInstalled();
    }

    @Test
    void untrustedAndExpiredSignersAreRefused() throws Exception {
        TestSigner stranger = new TestSigner("CN=Unknown vendor", 30);
        NodeProcess.Cli c = node.cli("bundle", "install", stranger.signed(NodeProcess.unsignedFixture("counter-v1")).toString());
        assertEquals(77, c.exit());
        assertTrue(c.err().contains("CN=Unknown vendor") && c.err().contains("does not chain to a certificate trusted"), c.err());

        TestSigner expired = new TestSigner("CN=Expired vendor", 30, "-400d");
        Files.copy(expired.certificate(), node.home.resolve("conf/trusted-signers/expired.pem"));
        // Trusted signers are read at start-up; the expiry check does not depend on that.
        c = node.cli("bundle", "install", expired.signed(NodeProcess.unsignedFixture("counter-v1")).toString());
        assertEquals(77, c.exit());
        assertTrue(c.err().contains("CN=Expired vendor") && (c.err().contains("expired on")), c.err());
        assertNothingInstalled();
    }

    @Test
    void unsignedBundleDroppedIntoDeployNeverRuns() throws Exception {
        Path deployed = node.home.resolve("deploy/unsigned-counter.jar");
        Files.copy(NodeProcess.unsignedFixture("counter-v1"), deployed);
        try {
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!node.log().contains("refused, it will not run")) {
                assertTrue(System.nanoTime() < deadline, "no refusal logged:\n" + node.log());
                Thread.sleep(100);
            }
            assertTrue(node.log().contains("the jar is not signed"), node.log());
            JsonNode sandboxers = node.admin("sandboxers");
            for (JsonNode r : sandboxers) {
                if (r.path("name").asText().equals("counter")) {
                    assertFalse(r.path("state").asText().equals("active"), "an unsigned sandboxer must not serve: " + sandboxers);
                }
            }
            for (JsonNode r : node.admin("bundle", "list")) {
                if (r.path("name").asText().equals("io.atrium.fixture.counter")) {
                    assertEquals("INSTALLED", r.path("state").asText(), "never resolved: " + r);
                    assertTrue(r.path("trust").asText().startsWith("UNTRUSTED"), r.toString());
                }
            }
        } finally {
            Files.delete(deployed);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (node.admin("bundle", "list").toString().contains("io.atrium.fixture.counter")) {
                assertTrue(System.nanoTime() < deadline, "deploy/ removal not picked up");
                Thread.sleep(100);
            }
        }
    }

    @Test
    void updateGateChecksApiRangeAndStateFormatAndDryRunChangesNothing() throws Exception {
        assertEquals(0, node.cli("bundle", "install", NodeProcess.fixture("counter-v1").toString()).exit());
        try {
            // A build against a future major Sandbox API cannot wire to the 1.x API this node runs.
            Path future = node.dir.resolve("counter-api2.jar");
            Manifest mf = new Manifest();
            Attributes a = mf.getMainAttributes();
            a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            a.putValue("Bundle-ManifestVersion", "2");
            a.putValue("Bundle-SymbolicName", "io.atrium.fixture.counter");
            a.putValue("Bundle-Version", "5.0.0");
            a.putValue("Import-Package", "io.atrium.sandbox.api;version=\"[2.0,3)\"");
            try (OutputStream out = Files.newOutputStream(future); JarOutputStream jar = new JarOutputStream(out, mf)) {
                jar.putNextEntry(new ZipEntry("README.txt"));
                jar.write("built against Sandbox API 2".getBytes());
            }
            NodeProcess.Cli c = node.cli("bundle", "update", "--dry-run", "io.atrium.fixture.counter",
                    NodeProcess.TEST_SIGNER.signed(future).toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("does not resolve against the running node") && c.err().contains("io.atrium.sandbox.api"),
                    c.err());

            // The v2 fixture declares it reads state format 1; a format from the future is refused.
            Path format = node.root.resolve("sandboxers/counter/FORMAT");
            Files.writeString(format, "2\n");
            c = node.cli("bundle", "update", "io.atrium.fixture.counter", NodeProcess.fixture("counter-v2").toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("reads state formats [1]") && c.err().contains("format 2 on disk"), c.err());
            assertEquals("1.0.0", node.admin("sandboxers").get(0).path("version").asText());

            Files.writeString(format, "1\n");
            c = node.cli("bundle", "update", "--dry-run", "io.atrium.fixture.counter", NodeProcess.fixture("counter-v2").toString());
            assertEquals(0, c.exit(), c.err());
            assertTrue(c.out().contains("would update"), c.out());
            assertEquals("1.0.0", node.admin("sandboxers").get(0).path("version").asText(), "dry run changed nothing");
            assertFalse(node.admin("bundle", "list").toString().contains("atrium:probe"), "probe bundle removed");
        } finally {
            node.cli("bundle", "uninstall", "io.atrium.fixture.counter");
        }
    }
}
