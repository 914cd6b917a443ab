package io.atrium.bench;

import io.atrium.cri.v1.VersionRequest;
import io.atrium.engine.cri.client.CriClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The distribution tarball unpacked under {@code dir} and started with {@code bin/atrium run --root --state}. */
final class AtriumNode implements Node {
    private final Path dir;
    private final Path home;
    private final Path state;
    private final Process process;
    private final String version;

    AtriumNode(Path dir, Path tarball, String javaOpts) throws Exception {
        this(dir, unpack(tarball, dir), javaOpts, Map.of());
    }

    /** Unpacks the tarball into dir and returns the node's home. */
    static Path unpack(Path tarball, Path dir) throws Exception {
        Processes.run(120, "tar", "-xzf", tarball.toString(), "-C", dir.toString());
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("atrium-") && Files.isDirectory(p)).findFirst().orElseThrow();
        }
    }

    /**
     * @param javaOpts null for the options in bin/atrium, else ATRIUM_JAVA_OPTS
     * @param env extra environment for bin/atrium (e.g. MALLOC_ARENA_MAX)
     */
    AtriumNode(Path dir, Path home, String javaOpts, Map<String, String> env) throws Exception {
        this.dir = dir;
        this.home = home;
        version = home.getFileName().toString();
        this.state = dir.resolve("state");
        Files.createDirectories(dir.resolve("logs"));
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/atrium").toString(), "run",
                "--root", dir.resolve("root").toString(), "--state", state.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("node.log").toFile());
        if (javaOpts != null) {
            pb.environment().put("ATRIUM_JAVA_OPTS", javaOpts);
        }
        pb.environment().putAll(env);
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node exited: " + Files.readString(dir.resolve("node.log")));
            }
            if (Files.exists(criSocket())) {
                try (CriClient cri = CriClient.connect(criSocket())) {
                    cri.runtime().withDeadlineAfter(5, TimeUnit.SECONDS).version(VersionRequest.newBuilder().setVersion("v1").build());
                    break;
                } catch (RuntimeException e) {
                    // RuntimeService not registered yet
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node did not serve CRI within 90 s");
            }
            Thread.sleep(100);
        }
    }

    @Override
    public String name() {
        return "atrium";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Path criSocket() {
        return state.resolve("atrium.sock");
    }

    @Override
    public Path logDir() {
        return dir.resolve("logs");
    }

    @Override
    public long daemonPid() {
        return process.pid(); // bin/atrium execs java, so this is the JVM
    }

    /** The node JVM and anything under it but the workload (runc calls in flight, helpers). */
    @Override
    public ProcMem.Mem managementMemory() {
        Map<Long, ProcMem.Proc> table = ProcMem.table();
        return ProcMem.sum(ProcMem.withDescendants(table, List.of(process.pid())), Bench::isManagement);
    }

    Path home() {
        return home;
    }

    Path nodeLog() {
        return dir.resolve("node.log");
    }

    @Override
    public void close() throws Exception {
        // containers outlive the node by design; the harness ends the ones it left behind
        List<ProcessHandle> left = process.descendants().toList();
        Processes.stop(process, 20);
        left.forEach(ProcessHandle::destroyForcibly);
        try {
            Processes.unmountAndDelete(dir);
        } catch (IOException e) {
            System.err.println("cleanup of " + dir + ": " + e);
        }
    }
}
