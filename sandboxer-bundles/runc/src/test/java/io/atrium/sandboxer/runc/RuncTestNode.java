package io.atrium.sandboxer.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinMethod;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.bindings.ns.PodNamespaces;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandboxer.ociruntime.TestNodes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

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
        return TestNodes.overlayContainer(dir, image, id, specJson);
    }

    Path logOf(String containerId) {
        return TestNodes.logOf(dir, containerId);
    }

    /** Asserts that nothing of this node is left: mounts, cgroups, runc state, pod state, pins, zombies. */
    void assertNothingLeft() throws IOException, InterruptedException {
        TestNodes.assertNoMountsOrCgroups(dir, dir.resolve("engine-netns"), cgroupParent);
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.runcRoot()), "runc state left");
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.state().resolve("pods")), "pod state left");
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.namespacePins()), "namespace pins left");
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.podsRunDir()), "pod runtime files left");
        assertNoZombieChildren();
    }

    static void assertNoZombieChildren() throws IOException, InterruptedException {
        TestNodes.assertNoZombieChildren(20);
    }

    /** Releases the engine's netns pins and removes the test's cgroup parent. */
    @Override
    public void close() throws IOException {
        for (PinnedNamespaces p : netnsPins) {
            engineNetns.release(p);
        }
        TestNodes.removeCgroupParent(cgroupParent);
    }
}
