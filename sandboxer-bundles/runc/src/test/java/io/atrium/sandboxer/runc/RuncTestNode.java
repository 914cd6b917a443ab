package io.atrium.sandboxer.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinMethod;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.bindings.ns.PodNamespaces;
import io.atrium.bindings.process.ProcStat;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Test fixture: a node in a temp directory — state and run dirs, a busybox image, a cgroup parent of
 * its own — plus what the engine would do for a pod (pin a network namespace with loopback up).
 */
final class RuncTestNode implements AutoCloseable {
    final Path dir;
    final RuncSettings settings;
    final String cgroupParent = "atrium-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final Path image;
    private final PodNamespaces engineNetns;
    private final List<PinnedNamespaces> netnsPins = new ArrayList<>();

    RuncTestNode(Path dir, Path image) {
        this.dir = dir.toAbsolutePath();
        this.image = image;
        this.settings = new RuncSettings(this.dir.resolve("state"), this.dir.resolve("run"), Path.of("/usr/sbin/runc"),
                cgroupParent, 16L * 1024 * 1024, Duration.ofSeconds(30));
        Syscalls sys = new Syscalls();
        this.engineNetns = new PodNamespaces(sys, new Mounts(sys), this.dir.resolve("engine-netns"), PinMethod.THREAD);
    }

    RuncSandboxer sandboxer() throws IOException {
        return new RuncSandboxer(settings);
    }

    /** The engine's part of RunPodSandbox: a pinned network namespace with loopback up. */
    SandboxSpec pod(String id, String hostname) throws IOException, InterruptedException {
        PinnedNamespaces net = engineNetns.pin(id, Set.of(NamespaceType.NET));
        netnsPins.add(net);
        Process ip = new ProcessBuilder("nsenter", "--net=" + net.path(NamespaceType.NET), "ip", "link", "set", "lo", "up")
                .inheritIO().start();
        assertEquals(0, ip.waitFor(), "bringing up lo in the pod's netns");
        return new SandboxSpec(id, "pod-" + id, "default", "uid-" + id, 0, hostname, dir.resolve("logs"),
                net.path(NamespaceType.NET), null, "", null, null, null, null, null, null, null);
    }

    /** A container from the busybox image: an overlay rootfs (as the snapshotter gives) and a CRI log. */
    CreateTask container(String id, String specJson) throws IOException {
        Path layer = Files.createDirectories(dir.resolve("layers").resolve(id));
        Path upper = Files.createDirectories(layer.resolve("upper"));
        Path work = Files.createDirectories(layer.resolve("work"));
        Mount overlay = new Mount("overlay", "overlay", "", List.of("lowerdir=" + image, "upperdir=" + upper,
                "workdir=" + work));
        return new CreateTask(id, specJson, List.of(overlay), Stdio.criLog(logOf(id), false), Map.of());
    }

    Path logOf(String containerId) {
        return dir.resolve("logs").resolve(containerId + ".log");
    }

    /** Asserts that nothing of this node is left: mounts, cgroups, runc state, pod state, pins, zombies. */
    void assertNothingLeft() throws IOException, InterruptedException {
        List<String> mounts = MountInfo.current().stream().map(m -> m.mountPoint().toString())
                .filter(m -> m.startsWith(dir.toString()) && !m.startsWith(dir.resolve("engine-netns").toString()))
                .toList();
        assertEquals(List.of(), mounts, "mounts left under " + dir);
        for (Path cg : new io.atrium.sandboxer.ociruntime.CgroupTree(io.atrium.bindings.cgroup.Cgroups.detect()).everywhere(cgroupParent)) {
            try (Stream<Path> s = Files.list(cg)) {
                assertEquals(List.of(), s.filter(Files::isDirectory).toList(), "cgroups left under " + cg);
            }
        }
        assertEquals(List.of(), listOrEmpty(settings.runcRoot()), "runc state left");
        assertEquals(List.of(), listOrEmpty(settings.state().resolve("pods")), "pod state left");
        assertEquals(List.of(), listOrEmpty(settings.namespacePins()), "namespace pins left");
        assertEquals(List.of(), listOrEmpty(settings.podsRunDir()), "pod runtime files left");
        assertNoZombieChildren();
    }

    static void assertNoZombieChildren() throws IOException, InterruptedException {
        long me = ProcessHandle.current().pid();
        List<String> zombies = List.of();
        for (int i = 0; i < 20; i++) {
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

    private static List<String> listOrEmpty(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** Releases the engine's netns pins and removes the test's cgroup parent. */
    @Override
    public void close() throws IOException {
        for (PinnedNamespaces p : netnsPins) {
            engineNetns.release(p);
        }
        for (Path cg : new io.atrium.sandboxer.ociruntime.CgroupTree(io.atrium.bindings.cgroup.Cgroups.detect()).everywhere(cgroupParent)) {
            try {
                Files.delete(cg);
            } catch (IOException e) {
                // asserted empty before; a busy one is reported by assertNothingLeft
            }
        }
    }
}
