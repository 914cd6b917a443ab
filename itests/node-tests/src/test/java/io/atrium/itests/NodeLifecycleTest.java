package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tarball as an operator uses it: run, status, bundle list, deploy/, restart, SIGTERM. */
class NodeLifecycleTest {

    private static boolean hasSandboxer(JsonNode rows, String name) {
        for (JsonNode r : rows) {
            if (name.equals(r.path("name").asText()) && "active".equals(r.path("state").asText())) {
                return true;
            }
        }
        return false;
    }

    private static List<String> bundleNames(JsonNode rows) {
        List<String> names = new ArrayList<>();
        rows.forEach(r -> names.add(r.path("name").asText()));
        return names;
    }

    @Test
    void criSocketBelongsToTheConfiguredGroupAndAnUnknownGroupStopsStartup() throws Exception {
        try (NodeProcess node = NodeProcess.unpack()) {
            Path config = node.dir.resolve("group.toml");
            Files.writeString(config, "[cri]\ngroup = \"nogroup\"\n");
            node.start("--config", config.toString());
            Path socket = node.state.resolve("atrium.sock");
            assertEquals("nogroup", Files.readAttributes(socket, java.nio.file.attribute.PosixFileAttributes.class)
                    .group().getName());
            assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket)));
            assertTrue(node.terminate(10));

            Files.writeString(config, "[cri]\ngroup = \"no-such-group-atrium\"\n");
            NodeProcess.Cli c = NodeProcess.exec(List.of(node.home.resolve("bin/atrium").toString(), "run",
                    "--config", config.toString(), "--root", node.root.toString(), "--state", node.state.toString()));
            assertEquals(1, c.exit(), c.out() + c.err());
            assertTrue(c.err().contains("cri.group") && c.err().contains("no-such-group-atrium"), c.err());
            assertFalse(Files.exists(socket), "the CRI socket of a node that did not start was left behind");
        }
    }

    @Test
    void tarballRunsAnswersAndStopsOnSigterm() throws Exception {
        try (NodeProcess node = NodeProcess.unpack()) {
            node.start();
            NodeProcess.Cli status = node.cli("status");
            assertEquals(0, status.exit(), status.err());
            assertTrue(status.out().contains("cri_socket: " + node.state.resolve("atrium.sock")), status.out());

            NodeProcess.Cli list = node.cli("bundle", "list");
            assertEquals(0, list.exit(), list.err());
            for (String core : List.of("io.atrium.engine", "io.atrium.sandbox.api", "org.apache.felix.scr",
                    "org.apache.felix.fileinstall", "org.apache.felix.configadmin")) {
                assertTrue(list.out().lines().anyMatch(l -> l.contains(core) && l.contains("ACTIVE")), core + " in\n" + list.out());
            }
            assertTrue(Files.isDirectory(node.root.resolve("felix-cache")), "bundle cache lives under the root");

            long start = System.nanoTime();
            assertTrue(node.terminate(10), "SIGTERM must stop the node within 10 s");
            System.out.printf("node stopped %d ms after SIGTERM%n", (System.nanoTime() - start) / 1_000_000);
            assertEquals(143, node.process().exitValue(), "a JVM ended by SIGTERM exits with 128+15");
            assertFalse(Files.exists(node.state.resolve("admin.sock")), "admin socket removed on shutdown");
            assertTrue(node.log().contains("node stopped"), node.log());
        }
    }

    @Test
    void deployDirectoryInstallsAndRemovesBundles() throws Exception {
        try (NodeProcess node = NodeProcess.unpack()) {
            node.start();
            Path deployed = node.home.resolve("deploy/counter.jar");
            long start = System.nanoTime();
            Files.copy(NodeProcess.fixture("counter-v1"), deployed, StandardCopyOption.REPLACE_EXISTING);
            while (!hasSandboxer(node.admin("sandboxers"), "counter")) {
                assertTrue(System.nanoTime() - start < 10_000_000_000L, "deployed sandboxer did not appear:\n" + node.log());
                Thread.sleep(50);
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("bundle copied into deploy/ was serving after %d ms%n", ms);
            assertTrue(ms <= 2000, "deploy/ pick-up took " + ms + " ms, more than the 2 s promised");
            JsonNode list = node.admin("bundle", "list");
            assertTrue(list.toString().contains("\"source\":\"deploy\""), list.toString());

            Files.delete(deployed);
            start = System.nanoTime();
            while (bundleNames(node.admin("bundle", "list")).contains("io.atrium.fixture.counter")) {
                assertTrue(System.nanoTime() - start < 10_000_000_000L, "deleted bundle still installed");
                Thread.sleep(50);
            }
            assertFalse(hasSandboxer(node.admin("sandboxers"), "counter"));
        }
    }

    @Test
    void bundlesInstalledAtRuntimeSurviveANodeRestart() throws Exception {
        try (NodeProcess node = NodeProcess.unpack()) {
            node.start();
            NodeProcess.Cli install = node.cli("bundle", "install", NodeProcess.fixture("counter-v1").toString());
            assertEquals(0, install.exit(), install.err());
            NodeProcess.Cli probe = node.cli("bundle", "install", NodeProcess.fixture("probe").toString());
            assertEquals(0, probe.exit(), probe.err());
            String id = node.admin("probe", "create", "counter", "survivor").asText();
            long pid = node.process().pid();
            assertTrue(node.terminate(10));

            node.start();
            assertNotEquals(pid, node.process().pid());
            assertTrue(hasSandboxer(node.admin("sandboxers"), "counter"), node.admin("sandboxers").toString());
            JsonNode status = node.admin("probe", "status", "counter", id);
            assertEquals("1.0.0", status.path("createdBy").asText(), "sandbox re-adopted after restart: " + status);
            JsonNode sandboxers = node.admin("sandboxers");
            assertEquals(1, sandboxers.get(0).path("pods").asInt(), sandboxers.toString());
        }
    }
}
