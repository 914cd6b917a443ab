package io.atrium.itests;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.host.admin.AdminClient;
import io.atrium.host.admin.AdminException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real node: the distribution tarball unpacked into a fresh directory and started with
 * {@code bin/atrium run} as a separate process, exactly as an operator would.
 */
final class NodeProcess implements AutoCloseable {

    /** Result of one {@code bin/atrium} CLI invocation. */
    record Cli(int exit, String out, String err) {
    }

    final Path dir;
    final Path home;
    final Path root;
    final Path state;
    final Path log;
    private Process process;

    private NodeProcess(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        Path tarball = Path.of(System.getProperty("atrium.tarball"));
        if (!Files.exists(tarball)) {
            throw new IllegalStateException("distribution tarball " + tarball + " missing: build the distribution module first");
        }
        run(List.of("tar", "-xzf", tarball.toString(), "-C", dir.toString()));
        this.home = dir.resolve("atrium-" + System.getProperty("atrium.version"));
        this.root = dir.resolve("root");
        this.state = dir.resolve("state");
        this.log = dir.resolve("node.log");
    }

    /**
     * Unpacks a fresh node into a new world-traversable directory (so non-root tests can reach
     * it) and makes it trust the test signer, the way a distributor adds its own key.
     */
    static NodeProcess unpack() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("atrium-node-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        NodeProcess node = new NodeProcess(dir);
        Files.copy(TEST_SIGNER.certificate(), node.home.resolve("conf/trusted-signers/itest-signer.pem"));
        return node;
    }

    /** The built fixture jar, unsigned. */
    static Path unsignedFixture(String module) {
        Path target = Path.of(System.getProperty("atrium.fixtures")).resolve(module).resolve("target");
        return target.resolve("atrium-fixture-" + module + "-" + System.getProperty("atrium.version") + ".jar");
    }

    /** The built fixture jar, signed by the test signer that every test node trusts. */
    static Path fixture(String module) throws IOException, InterruptedException {
        return TEST_SIGNER.signed(unsignedFixture(module));
    }

    static final TestSigner TEST_SIGNER = new TestSigner("CN=Atrium itest signer", 30);

    NodeProcess start(String... extraArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/atrium").toString(), "run", "--root", root.toString(),
                "--state", state.toString()));
        cmd.addAll(List.of(extraArgs));
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node exited with " + process.exitValue() + ":\n" + log());
            }
            if (Files.exists(state.resolve("admin.sock"))) {
                try {
                    admin("status");
                    return this;
                } catch (AdminException | IOException e) {
                    // still starting
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("node did not answer within 60 s:\n" + log());
    }

    Process process() {
        return process;
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    JsonNode admin(String command, String... args) throws IOException {
        return new AdminClient(state.resolve("admin.sock")).call(command, List.of(args), p -> { });
    }

    Cli cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/atrium").toString(), "--state", state.toString()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    static Cli exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("command did not finish: " + cmd);
        }
        return new Cli(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Cli c = exec(cmd);
        if (c.exit() != 0) {
            throw new IllegalStateException(cmd + " failed: " + c.err());
        }
    }

    /** SIGTERM, then wait; returns whether it stopped within the limit. */
    boolean terminate(long seconds) throws InterruptedException {
        if (process == null) {
            return true;
        }
        process.destroy();
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
