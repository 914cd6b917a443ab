package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Each bad input gets a clear message, the node keeps running and nothing is installed half-way. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {

    private NodeProcess node;

    @BeforeAll
    void startNode() throws Exception {
        node = NodeProcess.unpack().start();
    }

    @AfterAll
    void stopNode() throws Exception {
        node.close();
    }

    private void assertNodeUnchanged(String before) throws Exception {
        assertTrue(node.process().isAlive(), "node still running");
        JsonNode after = node.admin("bundle", "list");
        assertEquals(before, after.toString(), "bundle set unchanged");
    }

    private NodeProcess.Cli install(Path jar) throws Exception {
        return node.cli("bundle", "install", jar.toString());
    }

    @Test
    void nonJarCorruptJarAndManifestlessJarAreRefused() throws Exception {
        String before = node.admin("bundle", "list").toString();
        Path text = node.dir.resolve("notes.jar");
        Files.writeString(text, "this is not a zip file");
        NodeProcess.Cli c = install(text);
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("is not a jar file"), c.err());

        byte[] good = Files.readAllBytes(NodeProcess.fixture("counter-v1"));
        Path truncated = node.dir.resolve("truncated.jar");
        Files.write(truncated, Arrays.copyOf(good, good.length / 2));
        c = install(truncated);
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("truncated.jar"), c.err());

        Path plain = node.dir.resolve("plain.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(plain))) {
            out.putNextEntry(new java.util.jar.JarEntry("hello.txt"));
            out.write("hi".getBytes());
        }
        c = install(plain);
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("not an OSGi bundle"), c.err());

        c = install(node.dir.resolve("missing.jar"));
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("no such file"), c.err());
        assertNodeUnchanged(before);
    }

    @Test
    void bundleWithMissingImportsIsNotLeftInstalled() throws Exception {
        String before = node.admin("bundle", "list").toString();
        Path jar = node.dir.resolve("needs-missing.jar");
        var mf = new java.util.jar.Manifest();
        var a = mf.getMainAttributes();
        a.put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "io.atrium.fixture.needy");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", "io.atrium.nowhere");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), mf)) {
            out.putNextEntry(new java.util.zip.ZipEntry("README.txt"));
            out.write("needs a package nobody exports".getBytes());
        }
        NodeProcess.Cli c = install(NodeProcess.TEST_SIGNER.signed(jar));
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("io.atrium.nowhere"), c.err());
        assertFalse(Files.exists(node.root.resolve("bundle-store/io.atrium.fixture.needy/1.0.0.jar")), "no kept copy left");
        assertNodeUnchanged(before);
    }

    @Test
    void unknownBundleAndUnknownCommandAreNamed() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "rollback", "io.atrium.nothing");
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("no bundle named io.atrium.nothing") && c.err().contains("NOT_FOUND"), c.err());
        c = node.cli("call", "frobnicate");
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("unknown command 'frobnicate'"), c.err());
    }

    @Test
    void downgradeThroughUpdateIsRefused() throws Exception {
        assertEquals(0, install(NodeProcess.fixture("counter-v2")).exit());
        try {
            NodeProcess.Cli c = node.cli("bundle", "update", "io.atrium.fixture.counter", NodeProcess.fixture("counter-v1").toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("lower than the installed 2.0.0"), c.err());
            c = node.cli("bundle", "update", "io.atrium.fixture.counter", NodeProcess.fixture("probe").toString());
            assertEquals(1, c.exit());
            assertTrue(c.err().contains("is bundle io.atrium.fixture.probe, not io.atrium.fixture.counter"), c.err());
        } finally {
            node.cli("bundle", "uninstall", "io.atrium.fixture.counter");
        }
    }

    @Test
    void configWithUnknownKeyOrWrongTypeStopsStartupWithTheKeyNamed() throws Exception {
        Path bad = node.dir.resolve("bad.toml");
        Files.writeString(bad, "[node]\nroot = \"/tmp/x\"\nshutdown_timout_seconds = 5\n");
        NodeProcess.Cli c = NodeProcess.exec(List.of(node.home.resolve("bin/atrium").toString(), "run", "--config", bad.toString(),
                "--state", node.dir.resolve("other-state").toString()));
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("unknown key 'node.shutdown_timout_seconds'") && c.err().contains("shutdown_timeout_seconds"), c.err());

        Files.writeString(bad, "[sandboxers]\nswap_wait_ms = \"soon\"\n");
        c = NodeProcess.exec(List.of(node.home.resolve("bin/atrium").toString(), "run", "--config", bad.toString(),
                "--state", node.dir.resolve("other-state").toString()));
        assertEquals(1, c.exit());
        assertTrue(c.err().contains("sandboxers.swap_wait_ms") && c.err().contains("wrong type"), c.err());
        assertFalse(Files.exists(node.dir.resolve("other-state/admin.sock")));
        assertTrue(node.process().isAlive());
    }

    @Test
    void nonRootAdminCallsAreRefused() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is needed to act as another user");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 is needed for a raw socket client");
        List<String> asNobody = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
        Files.setPosixFilePermissions(node.state, PosixFilePermissions.fromString("rwxr-xr-x"));

        // With the socket's own mode (0600) the kernel refuses the connection: the CLI says why.
        List<String> cli = new java.util.ArrayList<>(asNobody);
        cli.addAll(List.of(node.home.resolve("bin/atrium").toString(), "--state", node.state.toString(), "status"));
        NodeProcess.Cli c = NodeProcess.exec(cli);
        assertEquals(77, c.exit(), c.out() + c.err());
        assertTrue(c.err().contains("root-only"), c.err());

        // Loosened by mistake, the socket still checks the peer's credentials.
        Path sock = node.state.resolve("admin.sock");
        Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            List<String> raw = new java.util.ArrayList<>(asNobody);
            raw.addAll(List.of("/usr/bin/python3", "-c",
                    "import socket,sys\ns=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
                            + "try:\n s.sendall(b'{\"command\":\"bundle\",\"args\":[\"uninstall\",\"io.atrium.engine\"]}\\n')\n"
                            + "except BrokenPipeError:\n pass\n"
                            + "print(s.makefile().readline())", sock.toString()));
            c = NodeProcess.exec(raw);
            assertEquals(0, c.exit(), c.err());
            assertTrue(c.out().contains("PERMISSION_DENIED") && c.out().contains("serves root only"), c.out());
        } finally {
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
        }
        assertTrue(node.admin("bundle", "list").toString().contains("io.atrium.engine"), "engine untouched");
    }
}
