package io.atrium.sandboxer.ociruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.cgroup.Cgroups;
import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.process.ProcStat;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the OCI-runtime sandboxers' test nodes share (published in this module's test-jar): containers
 * on an overlay of a test image with a CRI log, and the checks that a node left nothing behind.
 */
public final class TestNodes {
    private TestNodes() {
    }

    /** A container from {@code image}: an overlay rootfs under {@code dir/layers} (as the snapshotter gives) and a CRI log. */
    public static CreateTask overlayContainer(Path dir, Path image, String id, String specJson) throws IOException {
        Path layer = Files.createDirectories(dir.resolve("layers").resolve(id));
        Path upper = Files.createDirectories(layer.resolve("upper"));
        Path work = Files.createDirectories(layer.resolve("work"));
        Mount overlay = new Mount("overlay", "overlay", "", List.of("lowerdir=" + image, "upperdir=" + upper,
                "workdir=" + work));
        return new CreateTask(id, specJson, List.of(overlay), Stdio.criLog(logOf(dir, id), false), Map.of());
    }

    /** Where {@link #overlayContainer} puts a container's CRI log. */
    public static Path logOf(Path dir, String containerId) {
        return dir.resolve("logs").resolve(containerId + ".log");
    }

    /** A check that may throw, such as a test node's "nothing left" assertions. */
    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    /**
     * A test's tear-down: shuts down every pod, closes the sandboxer instance, runs {@code nothingLeft}, and
     * closes the test node in any case.
     */
    public static <S extends Sandboxer & AutoCloseable> void tearDown(S sandboxer, Check nothingLeft, AutoCloseable node)
            throws Exception {
        try {
            shutdownAll(sandboxer);
            sandboxer.close();
            nothingLeft.run();
        } finally {
            node.close();
        }
    }

    /** Shuts down every pod the sandboxer lists. */
    public static void shutdownAll(Sandboxer sandboxer) {
        for (var s : sandboxer.list()) {
            sandboxer.shutdown(s.sandboxId());
        }
    }

    /** Asserts no mount under {@code dir} (but under {@code except}, null for none) and no cgroup below {@code cgroupParent}. */
    public static void assertNoMountsOrCgroups(Path dir, Path except, String cgroupParent) throws IOException {
        List<String> mounts = MountInfo.current().stream().map(m -> m.mountPoint().toString())
                .filter(m -> m.startsWith(dir.toString()) && (except == null || !m.startsWith(except.toString())))
                .toList();
        assertEquals(List.of(), mounts, "mounts left under " + dir);
        for (Path cg : new CgroupTree(Cgroups.detect()).everywhere(cgroupParent)) {
            try (Stream<Path> s = Files.list(cg)) {
                assertEquals(List.of(), s.filter(Files::isDirectory).toList(), "cgroups left under " + cg);
            }
        }
    }

    /** Removes the (empty) test cgroup parent from every hierarchy; a busy one is left for the checks to report. */
    public static void removeCgroupParent(String cgroupParent) throws IOException {
        for (Path cg : new CgroupTree(Cgroups.detect()).everywhere(cgroupParent)) {
            try {
                Files.delete(cg);
            } catch (IOException e) {
                // asserted empty before; a busy one is reported by the checks
            }
        }
    }

    /** Asserts that the JVM has no zombie children, allowing {@code tries} × 100 ms for pending reaps. */
    public static void assertNoZombieChildren(int tries) throws IOException, InterruptedException {
        long me = ProcessHandle.current().pid();
        List<String> zombies = List.of();
        for (int i = 0; i < tries; i++) {
            zombies = new ArrayList<>();
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    var st = ProcStat.read(Integer.parseInt(p.getFileName().toString()));
                    if (st.isPresent() && st.get().ppid() == me && st.get().isZombie()) {
                        zombies.add(st.get().pid() + " " + st.get().comm());
                    }
                }
            }
            if (zombies.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        assertTrue(zombies.isEmpty(), "zombie children of the JVM: " + zombies);
    }

    /** The names in a directory; none if it does not exist. */
    public static List<String> listOrEmpty(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
