package io.atrium.ttrpc.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Empty;
import io.atrium.containerd.task.v2.ConnectRequest;
import io.atrium.containerd.task.v2.ConnectResponse;
import io.atrium.containerd.task.v2.CreateTaskRequest;
import io.atrium.containerd.task.v2.DeleteRequest;
import io.atrium.containerd.task.v2.DeleteResponse;
import io.atrium.containerd.task.v2.ShutdownRequest;
import io.atrium.containerd.task.v2.StartRequest;
import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.containerd.task.v2.WaitRequest;
import io.atrium.containerd.task.v2.WaitResponse;
import io.atrium.containerd.types.task.Status;
import io.atrium.ttrpc.CallOptions;
import io.atrium.ttrpc.StatusCode;
import io.atrium.ttrpc.TtrpcClient;
import io.atrium.ttrpc.TtrpcException;
import io.atrium.ttrpc.TtrpcServer;
import io.atrium.ttrpc.testproto.events.Envelope;
import io.atrium.ttrpc.testproto.events.ForwardRequest;
import io.atrium.ttrpc.testproto.events.TaskExit;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with a real ttrpc task server: Debian containerd's {@code containerd-shim-runc-v2}
 * (Go ttrpc), started the way containerd starts it. Our {@link TaskClient} creates, starts, waits
 * for, deletes a runc container through it and shuts it down; the shim's own ttrpc client
 * publishes task events to a {@link TtrpcServer} of ours standing in for containerd's event
 * service (TTRPC_ADDRESS), so both directions of the protocol meet Go's implementation.
 *
 * <p>containerd 1.6 shims publish events over ttrpc to TTRPC_ADDRESS; {@code -publish-binary} is
 * only passed on, so it is set to {@code /bin/true} to make sure no containerd binary ever runs.
 */
class ContainerdShimInteropTest {
    private static final Path SHIM = Path.of("/usr/bin/containerd-shim-runc-v2");
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String NAMESPACE = "atrium-test";
    /** Where the shim's runc keeps container state by default (options.Root + namespace). */
    private static final Path RUNC_ROOT = Path.of("/run/containerd/runc", NAMESPACE);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final String EVENTS_SERVICE = "containerd.services.events.ttrpc.v1.Events";

    @TempDir
    Path dir;

    @Test
    void runsAContainerThroughContainerdShimRuncV2() throws Exception {
        Path runc = assumeShimAndRunc();
        String id = "ttrpc-" + UUID.randomUUID().toString().substring(0, 8);
        Path bundle = writeBundle(id, "echo hello-from-shim; exit 7");
        Path stdout = dir.resolve("stdout.log");
        Path containerdAddress = dir.resolve("containerd.sock"); // never listened on: no containerd runs
        Path shimSocket = null;
        Thread logDrain = drainShimLog(bundle.resolve("log"));
        BlockingQueue<Envelope> events = new LinkedBlockingQueue<>();
        TtrpcServer eventService = TtrpcServer.builder()
                .register(EVENTS_SERVICE, "Forward", ForwardRequest.parser(), (request, context) -> {
                    events.add(request.getEnvelope());
                    return Empty.getDefaultInstance();
                })
                .build();
        Path eventsSocket = dir.resolve("events.sock");
        eventService.listen(eventsSocket);
        try {
            shimSocket = startShim(id, bundle, containerdAddress, eventsSocket);
            assertEquals(socketPathFor(containerdAddress, id), shimSocket, "socket where containerd 1.6 puts it");

            CallOptions options = CallOptions.timeout(CALL_TIMEOUT).withMetadata("containerd-namespace-ttrpc", NAMESPACE);
            try (TaskClient tasks = new TaskClient(TtrpcClient.connect(shimSocket), options)) {
                ConnectResponse connected = tasks.connect(ConnectRequest.newBuilder().setId(id).build());
                assertTrue(connected.getShimPid() > 0);

                int pid = tasks.create(CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString())
                        // file:// needs stderr too: containerd 1.6's shim dereferences a missing stderr pipe
                        .setStdout("file://" + stdout).setStderr("file://" + stdout).build()).getPid();
                assertTrue(pid > 0, "created init pid");
                assertEquals(Status.CREATED, tasks.state(StateRequest.newBuilder().setId(id).build()).getStatus());

                assertEquals(pid, tasks.start(StartRequest.newBuilder().setId(id).build()).getPid());
                WaitResponse exit = tasks.wait(WaitRequest.newBuilder().setId(id).build(), CALL_TIMEOUT);
                assertEquals(7, exit.getExitStatus());
                assertTrue(exit.hasExitedAt());

                StateResponse stopped = tasks.state(StateRequest.newBuilder().setId(id).build());
                assertEquals(Status.STOPPED, stopped.getStatus());
                assertEquals(7, stopped.getExitStatus());
                assertEquals(bundle.toString(), stopped.getBundle());

                DeleteResponse deleted = tasks.delete(DeleteRequest.newBuilder().setId(id).build());
                assertEquals(7, deleted.getExitStatus());
                assertEquals(pid, deleted.getPid());
                assertEquals("hello-from-shim\n", Files.readString(stdout));

                TtrpcException gone = assertThrows(TtrpcException.class,
                        () -> tasks.state(StateRequest.newBuilder().setId(id).build()));
                assertEquals(StatusCode.NOT_FOUND, gone.code(), gone.getMessage());
                TtrpcException unknownMethod = assertThrows(TtrpcException.class, () -> tasks.ttrpc().call(
                        TaskClient.SERVICE, "NoSuchMethod", Empty.getDefaultInstance(), Empty.parser(), options));
                assertEquals(StatusCode.UNIMPLEMENTED, unknownMethod.code(), "what Go ttrpc answers");

                ProcessHandle shim = ProcessHandle.of(connected.getShimPid()).orElseThrow();
                tasks.shutdown(ShutdownRequest.newBuilder().setId(id).build());
                shim.onExit().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }

            // Go's ttrpc client in the shim published through our server: create, start, exit, delete.
            List<String> topics = new ArrayList<>();
            Envelope exitEvent = null;
            for (Envelope e; (e = events.poll(topics.contains("/tasks/delete") ? 0 : 10, TimeUnit.SECONDS)) != null; ) {
                topics.add(e.getTopic());
                assertEquals(NAMESPACE, e.getNamespace());
                if (e.getTopic().equals("/tasks/exit")) {
                    exitEvent = e;
                }
            }
            assertTrue(topics.containsAll(List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete")),
                    "events received: " + topics);
            assertNotNull(exitEvent);
            TaskExit taskExit = TaskExit.parseFrom(exitEvent.getEvent().getValue());
            assertEquals(id, taskExit.getContainerId());
            assertEquals(7, taskExit.getExitStatus());
        } catch (Throwable t) {
            t.addSuppressed(new Exception("shim log: " + readIfPresent(dir.resolve("shim.log"))
                    + "\nshim start stderr: " + readIfPresent(dir.resolve("shim-start.err"))));
            throw t;
        } finally {
            cleanUp(id, runc, shimSocket == null ? socketPathFor(containerdAddress, id) : shimSocket);
            eventService.close();
            releaseLogDrain(bundle.resolve("log"), logDrain);
        }
        assertFalse(Files.exists(RUNC_ROOT.resolve(id)), "runc state removed");
        assertEquals(List.of(), leftoverCgroups(id), "runc removed the container's cgroups");
    }

    /** {@code containerd-shim-runc-v2 ... start} as containerd runs it: cwd = bundle, stdin empty, address on stdout. */
    private Path startShim(String id, Path bundle, Path containerdAddress, Path eventsSocket) throws Exception {
        ProcessBuilder start = new ProcessBuilder(SHIM.toString(), "-namespace", NAMESPACE, "-id", id,
                "-address", containerdAddress.toString(), "-publish-binary", "/bin/true", "start")
                .directory(bundle.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(dir.resolve("shim-start.err").toFile());
        start.environment().put("TTRPC_ADDRESS", eventsSocket.toString());
        Process process = start.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "shim start returned");
        assertEquals(0, process.exitValue(), "shim start failed: " + out + " "
                + Files.readString(dir.resolve("shim-start.err")));
        assertTrue(out.startsWith("unix://"), "shim printed its address: " + out);
        return Path.of(out.substring("unix://".length()));
    }

    /** containerd 1.6: /run/containerd/s/ + hex(sha256(address/namespace/id)). */
    private static Path socketPathFor(Path containerdAddress, String id) throws NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((containerdAddress + "/" + NAMESPACE + "/" + id).getBytes(StandardCharsets.UTF_8));
        return Path.of("/run/containerd/s", HexFormat.of().formatHex(digest));
    }

    @Test
    void shimKilledDuringWaitFailsTheCallWithUnavailable() throws Exception {
        Path runc = assumeShimAndRunc();
        String id = "ttrpc-" + UUID.randomUUID().toString().substring(0, 8);
        Path bundle = writeBundle(id, "exec /bin/busybox sleep 300");
        Path containerdAddress = dir.resolve("containerd.sock");
        Path shimSocket = null;
        Thread logDrain = drainShimLog(bundle.resolve("log"));
        try {
            shimSocket = startShim(id, bundle, containerdAddress, dir.resolve("no-events.sock"));
            try (TaskClient tasks = TaskClient.connect(shimSocket, CALL_TIMEOUT)) {
                ProcessHandle shim = ProcessHandle.of(
                        tasks.connect(ConnectRequest.newBuilder().setId(id).build()).getShimPid()).orElseThrow();
                tasks.create(CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString()).build());
                tasks.start(StartRequest.newBuilder().setId(id).build());
                var exit = tasks.waitAsync(WaitRequest.newBuilder().setId(id).build());
                assertEquals(Status.RUNNING, tasks.state(StateRequest.newBuilder().setId(id).build()).getStatus());

                shim.destroyForcibly(); // SIGKILL: the agent dies mid-call
                shim.onExit().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

                var failure = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> exit.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                assertEquals(StatusCode.UNAVAILABLE, ((TtrpcException) failure.getCause()).code());
                assertFalse(tasks.ttrpc().isOpen());
            }
        } finally {
            cleanUp(id, runc, shimSocket == null ? socketPathFor(containerdAddress, id) : shimSocket);
            releaseLogDrain(bundle.resolve("log"), logDrain);
        }
        assertFalse(Files.exists(RUNC_ROOT.resolve(id)), "runc delete --force removed the orphaned container");
        assertEquals(List.of(), leftoverCgroups(id));
    }

    private static Path assumeShimAndRunc() throws IOException {
        assumeTrue(Files.isExecutable(SHIM), "containerd-shim-runc-v2 not installed (Debian package containerd)");
        Optional<Path> runc = onPath("runc");
        assumeTrue(runc.isPresent(), "runc not on PATH");
        assumeTrue(Files.isExecutable(BUSYBOX), "busybox-static not installed");
        assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "runc containers need root");
        return runc.get();
    }

    private Path writeBundle(String id, String script) throws IOException, InterruptedException {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Path rootfs = bundle.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.createDirectories(rootfs.resolve("proc"));
        Files.createDirectories(rootfs.resolve("dev"));
        Files.copy(BUSYBOX, rootfs.resolve("bin/busybox"));
        rootfs.resolve("bin/busybox").toFile().setExecutable(true);
        Files.writeString(bundle.resolve("config.json"), """
                {
                  "ociVersion": "1.0.2",
                  "process": {
                    "terminal": false,
                    "user": {"uid": 0, "gid": 0},
                    "args": ["/bin/busybox", "sh", "-c", "%s"],
                    "env": ["PATH=/bin"],
                    "cwd": "/",
                    "noNewPrivileges": true
                  },
                  "root": {"path": "rootfs", "readonly": true},
                  "hostname": "atrium-ttrpc",
                  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
                  "linux": {
                    "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                                   {"type": "network"}],
                    "cgroupsPath": "/atrium-ttrpc-%s"
                  }
                }
                """.formatted(script, id));
        // The shim sends its log to a FIFO named "log" in the bundle, which containerd creates and reads.
        Process mkfifo = new ProcessBuilder("mkfifo", bundle.resolve("log").toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        return bundle;
    }

    private Thread drainShimLog(Path fifo) {
        Path copy = dir.resolve("shim.log");
        Thread thread = new Thread(() -> {
            try (InputStream in = Files.newInputStream(fifo); OutputStream out = Files.newOutputStream(copy)) {
                in.transferTo(out);
            } catch (IOException e) {
                // the log is for diagnosis only
            }
        }, "shim-log");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** If the shim never opened the log FIFO, opening it for writing releases the blocked reader. */
    private static void releaseLogDrain(Path fifo, Thread drain) throws IOException, InterruptedException {
        if (drain.isAlive() && Files.exists(fifo)) {
            try (OutputStream ignored = Files.newOutputStream(fifo)) {
                // open and close: the reader sees end of stream
            }
        }
        drain.join(TimeUnit.SECONDS.toMillis(10));
    }

    /** Kills any shim process for this container id, deletes runc state and the shim socket. */
    private void cleanUp(String id, Path runc, Path shimSocket) throws IOException, InterruptedException {
        for (ProcessHandle shim : shimProcesses(id)) {
            shim.destroyForcibly();
            shim.onExit().join();
        }
        if (Files.exists(RUNC_ROOT.resolve(id))) {
            Process delete = new ProcessBuilder(runc.toString(), "--root", RUNC_ROOT.toString(), "delete", "--force", id)
                    .redirectErrorStream(true).start();
            delete.getInputStream().readAllBytes();
            delete.waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(shimSocket);
        for (Path cgroup : leftoverCgroups(id)) {
            Files.deleteIfExists(cgroup); // rmdir; only an empty cgroup goes, as the kernel insists
        }
        try (Stream<Path> left = Files.exists(RUNC_ROOT) ? Files.list(RUNC_ROOT) : Stream.empty()) {
            if (left.findAny().isEmpty()) {
                Files.deleteIfExists(RUNC_ROOT);
            }
        }
    }

    private static List<Path> leftoverCgroups(String id) throws IOException {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> found = new ArrayList<>();
        if (Files.exists(root.resolve("atrium-ttrpc-" + id))) {
            found.add(root.resolve("atrium-ttrpc-" + id)); // cgroup v2
        }
        try (Stream<Path> hierarchies = Files.list(root)) {
            hierarchies.map(h -> h.resolve("atrium-ttrpc-" + id)).filter(Files::isDirectory)
                    .filter(p -> !found.contains(p)).forEach(found::add);
        }
        return found;
    }

    private static String readIfPresent(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(none)";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static List<ProcessHandle> shimProcesses(String id) {
        return ProcessHandle.allProcesses().filter(p -> {
            Optional<String[]> args = p.info().arguments();
            return p.info().command().map(c -> c.endsWith("containerd-shim-runc-v2")).orElse(false)
                    && args.isPresent() && List.of(args.get()).contains(id);
        }).toList();
    }

    private static Optional<Path> onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
                .map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }
}
