package io.atrium.bench;

import io.atrium.cri.v1.VersionRequest;
import io.atrium.engine.cri.client.CriClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Debian's containerd 1.6 with the CRI plugin and runc through io.containerd.runc.v2, started
 * with a config of its own: root, state, sockets, runc root, opt dir and CNI conf dir all under
 * {@code dir}, never the system defaults.
 */
final class ContainerdNode implements Node {
    static final Path BINARY = Path.of("/usr/bin/containerd");

    private final Path dir;
    private final Path socket;
    private final Process process;
    private final String version;

    ContainerdNode(Path dir, String registryHost, String pauseImage) throws Exception {
        this.dir = dir;
        this.socket = dir.resolve("containerd.sock");
        Path certs = Files.createDirectories(dir.resolve("certs.d").resolve(registryHost));
        Files.writeString(certs.resolve("hosts.toml"), """
                server = "http://%1$s"
                [host."http://%1$s"]
                  capabilities = ["pull", "resolve"]
                """.formatted(registryHost));
        Files.createDirectories(dir.resolve("cni-conf")); // empty: pods run with host network
        Files.createDirectories(dir.resolve("logs"));
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                oom_score = 0
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                [debug]
                  address = ""
                [metrics]
                  address = ""
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%2$s"
                  restrict_oom_score_adj = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  enable_selinux = false
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "overlayfs"
                    default_runtime_name = "runc"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                        BinaryName = "/usr/sbin/runc"
                        Root = "%1$s/runc"
                        SystemdCgroup = false
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%1$s/cni-conf"
                  [plugins."io.containerd.grpc.v1.cri".registry]
                    config_path = "%1$s/certs.d"
                """.formatted(dir, pauseImage));
        version = Processes.run(10, BINARY.toString(), "--version");
        process = new ProcessBuilder(BINARY.toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("containerd exited: " + Files.readString(dir.resolve("containerd.log")));
            }
            if (Files.exists(socket)) {
                try (CriClient cri = CriClient.connect(socket)) {
                    cri.runtime().withDeadlineAfter(5, TimeUnit.SECONDS).version(VersionRequest.newBuilder().setVersion("v1").build());
                    break;
                } catch (RuntimeException e) {
                    // CRI plugin still initialising
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("containerd did not serve CRI within 60 s");
            }
            Thread.sleep(100);
        }
    }

    @Override
    public String name() {
        return "containerd";
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Path criSocket() {
        return socket;
    }

    @Override
    public Path logDir() {
        return dir.resolve("logs");
    }

    @Override
    public long daemonPid() {
        return process.pid();
    }

    /** containerd, each of our shims (found by our socket in its arguments) and what runs under them but the workload. */
    @Override
    public ProcMem.Mem managementMemory() {
        Map<Long, ProcMem.Proc> table = ProcMem.table();
        Set<Long> roots = new HashSet<>(List.of(process.pid()));
        String ours = socket.toString();
        table.values().stream().filter(p -> p.comm().startsWith("containerd-shim") && p.cmdline().contains(ours))
                .forEach(p -> roots.add(p.pid()));
        return ProcMem.sum(ProcMem.withDescendants(table, roots), Bench::isManagement);
    }

    /** Shims left behind (each serves one pod); a clean run leaves none. */
    List<Long> shims() {
        String ours = socket.toString();
        return ProcMem.table().values().stream()
                .filter(p -> p.comm().startsWith("containerd-shim") && p.cmdline().contains(ours)).map(ProcMem.Proc::pid).toList();
    }

    @Override
    public void close() throws Exception {
        Processes.stop(process, 15);
        // shims outlive containerd by design; ours are ended by their pids
        for (long pid : shims()) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            });
        }
        Thread.sleep(500);
        try {
            Processes.unmountAndDelete(dir);
        } catch (IOException e) {
            System.err.println("cleanup of " + dir + ": " + e);
        }
    }
}
