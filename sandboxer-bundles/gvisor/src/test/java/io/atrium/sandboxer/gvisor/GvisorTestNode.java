package io.atrium.sandboxer.gvisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandboxer.ociruntime.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Test fixture: a node in a temp directory (state and run dirs, a cgroup parent of its own), a busybox
 * image, what the engine does for a pod (a network namespace with loopback up, made with ip-netns) and a
 * small OCI spec like the engine's.
 */
final class GvisorTestNode implements AutoCloseable {
    static final Path RUNSC = Path.of("/usr/bin/runsc");
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final GvisorSettings settings;
    final String cgroupParent = "atrium-gvtest-" + UUID.randomUUID().toString().substring(0, 8);
    private final Path image;
    private final List<String> netns = new ArrayList<>();

    GvisorTestNode(Path dir, Path image) {
        this.dir = dir.toAbsolutePath();
        this.image = image;
        this.settings = new GvisorSettings(this.dir.resolve("state"), this.dir.resolve("run"), RUNSC, "ptrace", List.of(),
                cgroupParent, Duration.ofSeconds(60));
    }

    GvisorSandboxer sandboxer() throws IOException {
        return new GvisorSandboxer(settings);
    }

    /** Debian's busybox-static with a symlink per applet: the image every test container runs. */
    static Path busyboxImage(Path dir) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Process list = new ProcessBuilder("/bin/busybox", "--list").start();
        List<String> applets = new String(list.getInputStream().readAllBytes()).lines().toList();
        list.waitFor();
        for (String applet : applets) {
            if (!Files.exists(bin.resolve(applet))) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "www", "root")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("www/index.html"), "hello from gvisor\n");
        return dir;
    }

    /** The engine's part of RunPodSandbox: a network namespace with loopback up. */
    SandboxSpec pod(String id, String hostname) throws IOException, InterruptedException {
        String name = "atrium-gvt-" + UUID.randomUUID().toString().substring(0, 8);
        run("ip", "netns", "add", name);
        netns.add(name);
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
        return new SandboxSpec(id, "pod-" + id, "default", "uid-" + id, 0, hostname, dir.resolve("logs"),
                Path.of("/run/netns", name), null, "", null, null, null, null, null, null, null);
    }

    /** A container from the busybox image: an overlay rootfs (as the snapshotter gives) and a CRI log. */
    CreateTask container(String id, String specJson) throws IOException {
        return TestNodes.overlayContainer(dir, image, id, specJson);
    }

    Path logOf(String containerId) {
        return TestNodes.logOf(dir, containerId);
    }

    /** A small valid runtime spec with the namespaces the engine lists (network, ipc and uts without paths). */
    static ObjectNode spec(String... args) {
        ObjectNode spec = JSON.createObjectNode().put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process").put("terminal", false).put("cwd", "/");
        process.putObject("user").put("uid", 0).put("gid", 0);
        ArrayNode a = process.putArray("args");
        for (String s : args) {
            a.add(s);
        }
        process.putArray("env").add("PATH=/bin").add("HOME=/root");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : new String[] {"bounding", "effective", "permitted"}) {
            caps.putArray(set).add("CAP_KILL").add("CAP_NET_BIND_SERVICE").add("CAP_SETUID").add("CAP_SETGID");
        }
        spec.putObject("root").put("path", "rootfs").put("readonly", false);
        ArrayNode mounts = spec.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject().put("destination", "/dev").put("type", "tmpfs").put("source", "tmpfs");
        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : new String[] {"pid", "network", "ipc", "uts", "mount"}) {
            ns.addObject().put("type", t);
        }
        linux.putObject("resources").putArray("devices").addObject().put("allow", false).put("access", "rwm");
        return spec;
    }

    /** Asserts that nothing of this node is left: mounts, cgroups, runsc state, pod state, processes, zombies. */
    void assertNothingLeft() throws IOException, InterruptedException {
        TestNodes.assertNoMountsOrCgroups(dir, null, cgroupParent);
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.runscRoot()), "runsc state left");
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.state().resolve("pods")), "pod state left");
        assertEquals(List.of(), TestNodes.listOrEmpty(settings.podsRunDir()), "pod runtime files left");
        assertEquals(List.of(), runscProcesses(), "runsc processes of this node left");
        assertNoZombieChildren();
    }

    /** runsc processes (sandbox, gofers, waiters) started with this node's runsc root. */
    List<String> runscProcesses() throws IOException {
        String root = settings.runscRoot().toString();
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    if (cmd.contains("--root=" + root + " ") || cmd.contains("--root " + root + " ")) {
                        found.add(p.getFileName() + " " + cmd);
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return found;
    }

    static void assertNoZombieChildren() throws IOException, InterruptedException {
        TestNodes.assertNoZombieChildren(30);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    /** Removes the network namespaces and the test's cgroup parent. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (String n : netns) {
            new ProcessBuilder("ip", "netns", "del", n).start().waitFor();
        }
        TestNodes.removeCgroupParent(cgroupParent);
    }
}
