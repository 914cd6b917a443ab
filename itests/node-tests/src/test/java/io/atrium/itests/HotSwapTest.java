package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.host.admin.AdminException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The live-upgrade contract on a real node: a sandboxer bundle is updated, rolled back, refused
 * and removed while a client inside the node calls it continuously through the engine's gate.
 * The steps build on each other, so they run in order on one node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HotSwapTest {

    private NodeProcess node;
    private String sandboxId;

    @BeforeAll
    void startNode() throws Exception {
        node = NodeProcess.unpack().start();
    }

    @AfterAll
    void stopNode() throws Exception {
        node.close();
    }

    private JsonNode status() throws IOException {
        return node.admin("probe", "status", "counter", sandboxId);
    }

    private JsonNode underLoad(ThrowingRunnable swap) throws Exception {
        node.admin("probe", "load-start", "counter", sandboxId);
        Thread.sleep(300);
        try {
            swap.run();
        } finally {
            Thread.sleep(300);
        }
        return node.admin("probe", "load-stop");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    @Order(1)
    void installAtRuntimeAndSeeTheServiceAppear() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "install", NodeProcess.fixture("counter-v1").toString());
        assertEquals(0, c.exit(), c.err());
        assertEquals(0, node.cli("bundle", "install", NodeProcess.fixture("probe").toString()).exit());
        JsonNode rows = node.admin("sandboxers");
        assertEquals("counter", rows.get(0).path("name").asText(), rows.toString());
        assertEquals("1.0.0", rows.get(0).path("version").asText());
        assertEquals("active", rows.get(0).path("state").asText());
        sandboxId = node.admin("probe", "create", "counter", "web").asText();
        assertEquals("1.0.0", status().path("servedBy").asText());
    }

    @Test
    @Order(2)
    void updateUnderLoadFailsNoCallAndV2ServesV1State() throws Exception {
        JsonNode load = underLoad(() -> {
            NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.fixture.counter",
                    NodeProcess.fixture("counter-v2").toString());
            assertEquals(0, c.exit(), c.err() + "\n" + node.log());
        });
        System.out.println("update v1 -> v2 under load: " + load);
        assertEquals(0, load.path("failures").asLong(), "failed calls during the update: " + load);
        assertTrue(load.path("calls").asLong() > 50, "the client kept calling: " + load);
        assertTrue(load.path("servedBy").toString().contains("2.0.0"), load.toString());
        JsonNode s = status();
        assertEquals("2.0.0", s.path("servedBy").asText());
        assertEquals("1.0.0", s.path("createdBy").asText(), "state created under v1 is served by v2");
    }

    @Test
    @Order(3)
    void rollbackGoesBackToV1UnderLoad() throws Exception {
        JsonNode load = underLoad(() -> {
            NodeProcess.Cli c = node.cli("bundle", "rollback", "io.atrium.fixture.counter");
            assertEquals(0, c.exit(), c.err());
            assertTrue(c.out().contains("previous: 2.0.0"), c.out());
        });
        assertEquals(0, load.path("failures").asLong(), load.toString());
        assertEquals("1.0.0", status().path("servedBy").asText());
        NodeProcess.Cli again = node.cli("bundle", "rollback", "io.atrium.fixture.counter");
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("no earlier version"), again.err());
    }

    @Test
    @Order(4)
    void updateToABundleWithMissingImportsFailsAndV1KeepsServing() throws Exception {
        Path broken = node.dir.resolve("counter-9.0.0-broken.jar");
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "io.atrium.fixture.counter");
        a.putValue("Bundle-Version", "9.0.0");
        a.putValue("Import-Package", "io.atrium.does.not.exist;version=\"[1,2)\"");
        try (OutputStream out = Files.newOutputStream(broken); JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new java.util.zip.ZipEntry("README.txt"));
            jar.write("needs a package nobody exports".getBytes());
        }
        Path signedBroken = NodeProcess.TEST_SIGNER.signed(broken);
        JsonNode load = underLoad(() -> {
            NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.fixture.counter", signedBroken.toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("io.atrium.does.not.exist"), "the reason names the missing import: " + c.err());
            assertTrue(c.err().contains("nothing was changed"), "the gate refused it before touching v1: " + c.err());
        });
        assertEquals(0, load.path("failures").asLong(), load.toString());
        assertEquals("1.0.0", status().path("servedBy").asText());
        assertEquals("1.0.0", node.admin("sandboxers").get(0).path("version").asText());
    }

    @Test
    @Order(5)
    void updateToABundleWhoseActivationFailsIsReverted() throws Exception {
        JsonNode load = underLoad(() -> {
            NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.fixture.counter",
                    NodeProcess.fixture("counter-failing").toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("did not register sandboxer [counter]"), c.err());
            assertTrue(c.err().contains("kept io.atrium.fixture.counter 1.0.0 running"), c.err());
        });
        assertEquals(0, load.path("failures").asLong(), load.toString());
        assertEquals("1.0.0", status().path("servedBy").asText());
    }

    @Test
    @Order(6)
    void aSecondBundleClaimingTheSameNameIsRefused() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "install", NodeProcess.fixture("counter-impostor").toString());
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("sandboxer name 'counter' is already served by bundle io.atrium.fixture.counter"), c.err());
        assertTrue(!node.admin("bundle", "list").toString().contains("io.atrium.fixture.impostor"), "nothing installed half-way");
        assertEquals("1.0.0", status().path("servedBy").asText());
    }

    @Test
    @Order(7)
    void uninstallMakesTheHandlerDisappearWithAClearError() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "uninstall", "io.atrium.fixture.counter");
        assertEquals(0, c.exit(), c.err());
        long start = System.nanoTime();
        AdminException e = assertThrows(AdminException.class, this::status);
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "callers are not kept waiting for a removed sandboxer");
        assertEquals("UNAVAILABLE", e.code());
        assertTrue(e.getMessage().contains("sandboxer 'counter' was uninstalled"), e.getMessage());
        JsonNode rows = node.admin("sandboxers");
        assertEquals("removed", rows.get(0).path("state").asText(), rows.toString());
        assertNotEquals("1.0.0", rows.get(0).path("version").asText());
    }
}
