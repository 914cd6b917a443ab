package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The vendor path end to end: the out-of-tree example in {@code examples/vendor-sandboxer} is
 * built with its own Maven build (its unit tests included), signed with a vendor key made here,
 * and installed, updated and rolled back on a real node that trusts that key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VendorSandboxerTest {

    private static final String BUNDLE = "com.example.atrium.process";

    private final TestSigner vendor = new TestSigner("CN=Example Vendor test key, O=Example Corp", 2);
    private Path work;
    private Path v100;
    private Path v110;
    private Path v110Unsigned;
    private Path v200FormatTwoOnly;
    private NodeProcess node;
    private String sandboxId;

    @BeforeAll
    void buildSignAndStartNode() throws Exception {
        String version = System.getProperty("atrium.version");
        Path repo = Path.of(System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository"));
        Path api = repo.resolve("io/atrium/atrium-sandbox-api/" + version + "/atrium-sandbox-api-" + version + ".jar");
        assumeTrue(Files.isRegularFile(api), "the example builds offline against the installed Sandbox API, but " + api
                + " is missing: run 'mvn -B install' for the Atrium build first");
        Path example = Path.of(System.getProperty("atrium.fixtures")).resolve("../../examples/vendor-sandboxer").normalize();
        assertTrue(Files.isRegularFile(example.resolve("pom.xml")), "example project not found at " + example);

        work = Files.createTempDirectory("atrium-vendor-");
        try {
            // Build a copy, so the build writes nothing into the source tree and runs never collide.
            Path project = copyTree(example, work.resolve("vendor-sandboxer"));
            Path unsigned100 = build(project, "1.0.0", true);
            v110Unsigned = build(project, "1.1.0", false);
            v100 = vendor.signed(unsigned100);
            v110 = vendor.signed(v110Unsigned);
            // A later release that reads only a newer state format, as a vendor might ship by mistake.
            v200FormatTwoOnly = vendor.signed(withManifest(v110Unsigned, work.resolve("process-sandboxer-2.0.0.jar"),
                    "2.0.0", "2"));
            node = NodeProcess.unpack();
            Files.copy(vendor.certificate(), node.home.resolve("conf/trusted-signers/example-vendor.pem"));
            // The operator maps a runtime handler to the vendor's sandboxer.
            Path conf = node.home.resolve("conf/atrium.toml");
            Files.writeString(conf, Files.readString(conf).replace("runc = \"runc\"", "runc = \"runc\"\nprocess = \"process\""));
            node.start();
        } catch (Exception | AssertionError e) {
            cleanUp();
            throw e;
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    /** Runs the example's own Maven build, offline; returns the jar it made. */
    private Path build(Path project, String revision, boolean withTests) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q", "-o", "package", "-f", project.resolve("pom.xml").toString(),
                "-Drevision=" + revision));
        if (!withTests) {
            cmd.add("-DskipTests"); // the 1.0.0 build already ran them on the same code
        }
        Path out = work.resolve("mvn-" + revision + ".log");
        Process p = new ProcessBuilder(cmd).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the example build did not finish within 10 minutes: " + cmd);
        }
        assertEquals(0, p.exitValue(), "the example build failed: " + cmd + "\n" + Files.readString(out));
        Path jar = project.resolve("target/process-sandboxer-" + revision + ".jar");
        assertTrue(Files.isRegularFile(jar), "the example build made no " + jar);
        Path kept = work.resolve(jar.getFileName());
        Files.copy(jar, kept);
        return kept;
    }

    private JsonNode processRow() throws IOException {
        for (JsonNode row : node.admin("sandboxers")) {
            if (row.path("name").asText().equals("process")) {
                return row;
            }
        }
        throw new AssertionError("no 'process' sandboxer: " + node.admin("sandboxers"));
    }

    private JsonNode podStatus() throws IOException {
        return node.admin("probe", "status", "process", sandboxId);
    }

    @Test
    @Order(1)
    void theSignedBundleInstallsAndServesProcess() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "install", v100.toString());
        assertEquals(0, c.exit(), c.err() + "\n" + node.log());

        NodeProcess.Cli listed = node.cli("sandboxers");
        assertEquals(0, listed.exit(), listed.err());
        String line = listed.out().lines().filter(l -> l.startsWith("process ")).findFirst()
                .orElseThrow(() -> new AssertionError("'atrium sandboxers' has no process row:\n" + listed.out()));
        assertTrue(line.matches(".*\\b1\\.0\\.0\\b.*") && line.contains(" active "),
                "'atrium sandboxers' shows process 1.0.0 active:\n" + listed.out());
        JsonNode row = processRow();
        assertEquals("1.0.0", row.path("version").asText(), row.toString());
        assertEquals("active", row.path("state").asText(), row.toString());
        assertEquals(BUNDLE, row.path("bundle").asText(), row.toString());
        assertTrue(row.path("technology").asText().contains("chroot"), row.toString());

        assertTrue(node.admin("bundle", "list").toString().contains(BUNDLE), "listed as a bundle");
        assertEquals("1", Files.readString(node.root.resolve("sandboxers/process/FORMAT")).trim(),
                "the sandboxer marked its state format where the update gate reads it");
    }

    @Test
    @Order(2)
    void aPodCreatedThroughTheEngineIsServedByIt() throws Exception {
        assertEquals(0, node.cli("bundle", "install", NodeProcess.fixture("probe").toString()).exit());
        sandboxId = node.admin("probe", "create", "process", "web").asText();
        JsonNode s = podStatus();
        assertEquals("CREATED", s.path("state").asText(), s.toString());
        assertEquals("1.0.0", s.path("servedBy").asText(), s.toString());
        assertTrue(Files.exists(node.root.resolve("sandboxers/process/pods/" + sandboxId + ".json")), "persisted");
    }

    @Test
    @Order(2)
    void aPodRunsOnTheVendorSandboxerThroughTheCri() throws Exception {
        assumeTrue(Files.isExecutable(io.atrium.engine.images.testing.TestRegistry.BINARY), "Debian's docker-registry is not installed");
        Path regDir = Files.createDirectories(work.resolve("registry"));
        try (var registry = new io.atrium.engine.images.testing.TestRegistry(regDir);
                var cri = io.atrium.engine.cri.client.CriClient.connect(node.state.resolve("atrium.sock"))) {
            registry.start();
            registry.pushVia(io.atrium.engine.images.testing.ImageWriter.image("amd64", java.util.Map.of("Cmd", java.util.List.of("sh")),
                    java.util.List.of(io.atrium.engine.images.testing.ImageWriter.busyboxLayer())), "vendor/busybox", "1");
            String ref = registry.host() + "/vendor/busybox:1";
            var rt = cri.runtime().withDeadlineAfter(120, java.util.concurrent.TimeUnit.SECONDS);
            cri.image().pullImage(io.atrium.cri.v1.PullImageRequest.newBuilder()
                    .setImage(io.atrium.cri.v1.ImageSpec.newBuilder().setImage(ref)).build());
            Path logs = work.resolve("pod-logs");
            var pod = io.atrium.cri.v1.PodSandboxConfig.newBuilder()
                    .setMetadata(io.atrium.cri.v1.PodSandboxMetadata.newBuilder().setName("vendor").setNamespace("it").setUid("uid-vendor"))
                    .setHostname("vendor").setLogDirectory(logs.toString()).build();
            String podId = rt.runPodSandbox(io.atrium.cri.v1.RunPodSandboxRequest.newBuilder().setConfig(pod)
                    .setRuntimeHandler("process").build()).getPodSandboxId();
            String ctr = rt.createContainer(io.atrium.cri.v1.CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                    .setSandboxConfig(pod).setConfig(io.atrium.cri.v1.ContainerConfig.newBuilder()
                            .setMetadata(io.atrium.cri.v1.ContainerMetadata.newBuilder().setName("hello"))
                            .setImage(io.atrium.cri.v1.ImageSpec.newBuilder().setImage(ref))
                            .addAllCommand(java.util.List.of("/bin/sh", "-c", "echo hello from the vendor")).setLogPath("hello.log"))
                    .build()).getContainerId();
            rt.startContainer(io.atrium.cri.v1.StartContainerRequest.newBuilder().setContainerId(ctr).build());
            io.atrium.cri.v1.ContainerStatus st = null;
            for (int i = 0; i < 100; i++) {
                st = rt.containerStatus(io.atrium.cri.v1.ContainerStatusRequest.newBuilder().setContainerId(ctr).build()).getStatus();
                if (st.getState() == io.atrium.cri.v1.ContainerState.CONTAINER_EXITED) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(io.atrium.cri.v1.ContainerState.CONTAINER_EXITED, st.getState(), st.toString());
            assertEquals(0, st.getExitCode(), st.toString());
            String log = "";
            for (int i = 0; i < 50 && !log.contains("hello from the vendor"); i++) {
                Thread.sleep(100);
                log = Files.exists(logs.resolve("hello.log")) ? Files.readString(logs.resolve("hello.log")) : "";
            }
            assertTrue(log.matches("(?s)\\S+ stdout F hello from the vendor\\n.*"), "CRI log written by the vendor sandboxer: " + log);
            assertTrue(processRow().path("pods").asInt() >= 1, processRow().toString());
            rt.stopPodSandbox(io.atrium.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            rt.removePodSandbox(io.atrium.cri.v1.RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        }
    }

    @Test
    @Order(3)
    void anUnsignedBuildIsRefused() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "update", BUNDLE, v110Unsigned.toString());
        assertNotEquals(0, c.exit());
        assertTrue(c.err().contains("not signed"), c.err());
        assertEquals("1.0.0", processRow().path("version").asText());
    }

    @Test
    @Order(4)
    void aDryRunChecksTheUpdateAndChangesNothing() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "update", "--dry-run", BUNDLE, v110.toString());
        assertEquals(0, c.exit(), c.err());
        assertTrue(c.out().contains("would update"), c.out());
        assertEquals("1.0.0", processRow().path("version").asText());
        assertEquals("1.0.0", podStatus().path("servedBy").asText());
    }

    @Test
    @Order(5)
    void updateTo110ServesThePodCreatedBy100() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "update", BUNDLE, v110.toString());
        assertEquals(0, c.exit(), c.err() + "\n" + node.log());
        assertEquals("1.1.0", processRow().path("version").asText());
        assertEquals("active", processRow().path("state").asText());
        JsonNode s = podStatus();
        assertEquals("1.1.0", s.path("servedBy").asText(), s.toString());
        assertEquals("1.0.0", s.path("createdBy").asText(), "state written by 1.0.0 re-adopted by 1.1.0: " + s);
    }

    @Test
    @Order(6)
    void rollbackReturnsTo100WithThePodIntact() throws Exception {
        NodeProcess.Cli c = node.cli("bundle", "rollback", BUNDLE);
        assertEquals(0, c.exit(), c.err());
        assertEquals("1.0.0", processRow().path("version").asText());
        JsonNode s = podStatus();
        assertEquals("1.0.0", s.path("servedBy").asText(), s.toString());
        assertEquals("CREATED", s.path("state").asText(), s.toString());
    }

    @Test
    @Order(7)
    void anUpdateThatCannotReadTheStateOnDiskIsRefusedBeforeAnythingChanges() throws Exception {
        for (boolean dryRun : new boolean[] {true, false}) {
            List<String> args = new ArrayList<>(List.of("bundle", "update"));
            if (dryRun) {
                args.add("--dry-run");
            }
            args.addAll(List.of(BUNDLE, v200FormatTwoOnly.toString()));
            NodeProcess.Cli c = node.cli(args.toArray(String[]::new));
            assertNotEquals(0, c.exit(), "dry run " + dryRun + ": " + c.out());
            assertTrue(c.err().contains("reads state formats [2]") && c.err().contains("format 1 on disk"), c.err());
        }
        assertEquals("1.0.0", processRow().path("version").asText());
        assertEquals("1.0.0", podStatus().path("servedBy").asText());
    }

    /** A copy of {@code jar} with another Bundle-Version and Atrium-State-Formats (unsigned). */
    private static Path withManifest(Path jar, Path out, String version, String stateFormats) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().putValue("Bundle-Version", version);
            mf.getMainAttributes().putValue("Atrium-State-Formats", stateFormats);
            try (JarOutputStream target = new JarOutputStream(Files.newOutputStream(out), mf)) {
                for (JarEntry e : Collections.list(in.entries())) {
                    if (e.getName().equalsIgnoreCase("META-INF/MANIFEST.MF")) {
                        continue;
                    }
                    target.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream data = in.getInputStream(e)) {
                        data.transferTo(target);
                    }
                    target.closeEntry();
                }
            }
        }
        return out;
    }

    private static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path rel = from.relativize(p);
                if (rel.getNameCount() > 0 && rel.getName(0).toString().equals("target")) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
        return to;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
