package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxReady;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskService;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sandboxer with real QEMU (TCG) and the real guest from sandboxer-bundles/vmm-guest. */
class VmmSandboxerTest {
    private Path base;
    private VmmSettings settings;
    private VmmSandboxer sandboxer;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.assumeQemu();
        base = Files.createTempDirectory(Path.of("/tmp"), "vmmt"); // short: unix socket paths are limited
        settings = VmmSettings.of(new NodePaths(base.resolve("root"), base.resolve("run")), guestDirOrMissing());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sandboxer != null) {
            for (var s : sandboxer.list()) {
                sandboxer.shutdown(s.sandboxId());
            }
            sandboxer.close();
        }
        VmmSandboxer.deleteTree(base);
    }

    private static Path guestDirOrMissing() {
        Path dir = Path.of(System.getProperty("atrium.vmm.test.guest", "../vmm-guest/target/guest")).toAbsolutePath()
                .normalize();
        return dir;
    }

    @Test
    void runsAContainerWithItsLogAnExecAndLeavesNothingBehind() throws Exception {
        Path guest = TestGuest.guest();
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest));
        String id = "vm-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "pod1", "default"));
        SandboxReady ready = sandboxer.start(id);
        assertTrue(ready.pid() > 0);
        assertTrue(ready.info().get("ttrpc").startsWith("ttrpc+unix://"), ready.info().toString());
        TaskService tasks = assertInstanceOf(TaskEndpoint.InProcess.class, ready.tasks()).service();
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((sid, e) -> events.add(e));

        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        Path log = base.resolve("logs/c1.log");
        tasks.create(new CreateTask("c1", BusyboxRootfs.spec(List.of("sh", "-c", "echo hello from the vm; echo oops >&2; sleep 30"),
                false), List.of(new Mount("bind", rootfs.toString(), "/", List.of("rbind", "rw"))),
                Stdio.criLog(log, false), null));
        Path image = Path.of(settings.vmDir(id).toString(), "disks", "c1.ext4");
        assertTrue(Files.exists(image), "no disk image " + image);
        tasks.start("c1", null);
        waitFor(() -> Files.exists(log) && Files.readString(log).contains("stderr F oops"), "log lines in " + log);
        String text = Files.readString(log);
        assertTrue(text.matches("(?s)\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z stdout F hello from the vm\n.*"), text);

        Collector out = new Collector();
        Collector err = new Collector();
        tasks.exec(new ExecProcess("c1", "e1", "{\"args\":[\"sh\",\"-c\",\"echo out; hostname; echo err >&2; exit 3\"],"
                + "\"env\":[\"PATH=/bin\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}",
                new Stdio(Stdio.Endpoint.NONE, new Stdio.Endpoint.OutputChannel(out), new Stdio.Endpoint.OutputChannel(err),
                        false, false)));
        tasks.start("c1", "e1");
        ExitStatus execExit = tasks.waitExit("c1", "e1").toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(3, execExit.code());
        assertEquals("out\npod1\n", out.text());
        assertEquals("err\n", err.text());
        tasks.delete("c1", "e1");

        var stats = tasks.stats("c1");
        assertTrue(stats.memoryUsageBytes() > 0 && stats.pids() >= 1, "stats from the guest's cgroup: " + stats);
        tasks.kill("c1", null, 9, false);
        ExitStatus exit = tasks.waitExit("c1", null).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(137, exit.code() == 137 || exit.signal() == 9 ? 137 : exit.code());
        waitFor(() -> events.stream().anyMatch(e -> e instanceof TaskEvent.Exited x && x.containerId().equals("c1")
                && x.execId().isEmpty()), "exit event of c1");
        tasks.delete("c1", null);
        assertFalse(Files.exists(image), "disk image left after delete");

        long pid = ready.pid();
        sandboxer.stop(id, Duration.ofSeconds(5));
        assertEquals(SandboxState.STOPPED, sandboxer.status(id, false).state());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU still there (or a zombie) after stop");
        sandboxer.shutdown(id);
        assertFalse(Files.exists(settings.vmDir(id)), "VM directory left after shutdown");
        assertEquals(List.of(), sandboxer.list());
        assertThrows(SandboxException.class, () -> sandboxer.status(id, false));
    }

    @Test
    void stdinFromTheEngineReachesTheContainerAndAnAttachedClientSeesItsOutput() throws Exception {
        Path guest = TestGuest.guest();
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest));
        String id = "io-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "io", "default"));
        sandboxer.start(id);
        TaskService tasks = ((TaskEndpoint.InProcess) sandboxer.tasks(id)).service();
        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        Path log = base.resolve("logs/cat.log");
        java.nio.channels.Pipe stdin = java.nio.channels.Pipe.open();
        tasks.create(new CreateTask("cat", BusyboxRootfs.spec(List.of("sh", "-c", "echo ready; cat; echo stdin closed"), false),
                List.of(new Mount("bind", rootfs.toString(), "/", List.of())),
                new Stdio(new Stdio.Endpoint.InputChannel(stdin.source()), new Stdio.Endpoint.CriLog(log),
                        new Stdio.Endpoint.CriLog(log), false, false), null));
        tasks.start("cat", null);
        waitFor(() -> Files.exists(log) && Files.readString(log).contains("ready"), "ready line");
        Collector attached = new Collector();
        AutoCloseable attachment = tasks.attach("cat", null, new Stdio(Stdio.Endpoint.NONE,
                new Stdio.Endpoint.OutputChannel(attached), new Stdio.Endpoint.OutputChannel(attached), false, false));
        stdin.sink().write(java.nio.ByteBuffer.wrap("piped in\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        waitFor(() -> attached.text().contains("piped in"), "stdin echoed to the attached client");
        stdin.sink().close(); // end of the engine's stdin: the sandboxer closes the process's stdin
        assertEquals(0, tasks.waitExit("cat", null).toCompletableFuture().get(30, TimeUnit.SECONDS).code());
        attachment.close();
        String text = Files.readString(log);
        assertTrue(text.contains("stdout F piped in\n") && text.contains("stdout F stdin closed\n"), text);
        assertEquals("piped in\nstdin closed\n", attached.text());
        tasks.delete("cat", null);
        sandboxer.stop(id, Duration.ofSeconds(1));
    }

    @Test
    void aNewInstanceReadoptsARunningVmAndItsContainer() throws Exception {
        Path guest = TestGuest.guest();
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest));
        String id = "re-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "re", "default"));
        long pid = sandboxer.start(id).pid();
        TaskService tasks = ((TaskEndpoint.InProcess) sandboxer.tasks(id)).service();
        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        Path log = base.resolve("logs/c.log");
        tasks.create(new CreateTask("c", BusyboxRootfs.spec(List.of("sh", "-c", "echo before; read x; echo after $x; sleep 60"),
                false), List.of(new Mount("bind", rootfs.toString(), "/", List.of())), Stdio.criLog(log, false), null));
        tasks.start("c", null);
        waitFor(() -> Files.exists(log) && Files.readString(log).contains("before"), "first log line");

        sandboxer.close(); // a bundle update: the VM keeps running
        assertTrue(Files.exists(Path.of("/proc", Long.toString(pid))), "close() must leave QEMU running");
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest));
        assertEquals(SandboxState.READY, sandboxer.status(id, false).state());
        assertEquals(pid, sandboxer.status(id, false).pid());
        TaskService again = ((TaskEndpoint.InProcess) sandboxer.tasks(id)).service();
        assertEquals(io.atrium.sandbox.api.TaskStatus.RUNNING, again.state("c", null).status());
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        again.subscribe((sid, e) -> events.add(e));
        Collector out = new Collector();
        again.exec(new ExecProcess("c", "e", "{\"args\":[\"echo\",\"still here\"],\"env\":[],\"cwd\":\"/\"}",
                new Stdio(Stdio.Endpoint.NONE, new Stdio.Endpoint.OutputChannel(out), Stdio.Endpoint.NONE, false, false)));
        again.start("c", "e");
        assertEquals(0, again.waitExit("c", "e").toCompletableFuture().get(30, TimeUnit.SECONDS).code());
        assertEquals("still here\n", out.text());
        again.kill("c", null, 15, true);
        waitFor(() -> events.stream().anyMatch(e -> e instanceof TaskEvent.Exited x && x.containerId().equals("c")),
                "exit event through the new instance");
        sandboxer.stop(id, Duration.ofSeconds(2));
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU left after stop");
    }

    @Test
    void whenTheGuestDiesThePodStopsAndItsContainersExit() throws Exception {
        Path guest = TestGuest.guest();
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest));
        String id = "die-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "die", "default"));
        long pid = sandboxer.start(id).pid();
        TaskService tasks = ((TaskEndpoint.InProcess) sandboxer.tasks(id)).service();
        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        tasks.create(new CreateTask("c", BusyboxRootfs.spec(List.of("sleep", "60"), false),
                List.of(new Mount("bind", rootfs.toString(), "/", List.of())), Stdio.NONE, null));
        tasks.start("c", null);
        var exit = tasks.waitExit("c", null).toCompletableFuture();
        // the guest dies from inside: a kernel crash takes the agent (PID 1) with it, the kernel panics
        // (panic=-1) and QEMU (-no-reboot) exits, exactly what an agent crash looks like from the host
        try {
            tasks.exec(new ExecProcess("c", "crash", "{\"args\":[\"sh\",\"-c\",\"echo c > /proc/sysrq-trigger\"],"
                    + "\"cwd\":\"/\"}", Stdio.NONE));
            tasks.start("c", "crash");
        } catch (SandboxException e) {
            // the VM may already be going down while Start answers
        }
        ExitStatus s = exit.get(30, TimeUnit.SECONDS);
        assertEquals(137, s.code());
        waitFor(() -> sandboxer.status(id, false).state() == SandboxState.STOPPED, "pod stopped after QEMU died");
        waitFor(() -> !Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU reaped");
        assertTrue(Files.readString(settings.vmDir(id).resolve("console.log")).contains("Kernel panic"),
                "the guest did not die the way the test meant");
        assertTrue(sandboxer.waitExit(id).toCompletableFuture().isDone());
        SandboxException e = assertThrows(SandboxException.class, () -> tasks.exec(new ExecProcess("c", "x",
                "{\"args\":[\"true\"]}", Stdio.NONE)));
        assertEquals(SandboxException.Reason.FAILED_PRECONDITION, e.reason());
        sandboxer.shutdown(id);
        assertFalse(Files.exists(settings.vmDir(id)));
    }

    @Test
    void aGuestThatDoesNotAnswerInTimeIsKilledAndReported() throws Exception {
        Path guest = TestGuest.guest();
        sandboxer = new VmmSandboxer(settings.withGuestDir(guest).withBootTimeout(Duration.ofMillis(300)));
        String id = "slow-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "slow", "default"));
        SandboxException e = assertThrows(SandboxException.class, () -> sandboxer.start(id));
        assertEquals(SandboxException.Reason.DEADLINE_EXCEEDED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
        long pid = Long.parseLong(Files.readString(settings.state().resolve("vms").resolve(id + ".json"))
                .replaceAll("(?s).*\"pid\" : (\\d+).*", "$1"));
        assertTrue(pid > 0);
        assertFalse(Files.exists(Path.of("/proc", Long.toString(pid))), "QEMU of a failed boot still runs");
        assertEquals(SandboxState.NOT_READY, sandboxer.status(id, false).state());
        sandboxer.shutdown(id);
        assertFalse(Files.exists(settings.vmDir(id)));
    }

    @Test
    void aKernelQemuCannotBootFailsFastWithTheReasonAndLeavesNoProcess() throws Exception {
        Path fake = Files.createDirectories(base.resolve("fakeguest"));
        Files.writeString(fake.resolve("vmlinuz"), "not a kernel");
        Files.writeString(fake.resolve("initramfs.cpio.gz"), "not an initramfs");
        sandboxer = new VmmSandboxer(settings.withGuestDir(fake));
        String id = "bad-" + System.nanoTime();
        sandboxer.create(SandboxSpec.of(id, "bad", "default"));
        SandboxException e = assertThrows(SandboxException.class, () -> sandboxer.start(id));
        assertTrue(e.getMessage().contains("exited"), e.getMessage());
        assertTrue(e.getMessage().contains("qemu.log"), "no QEMU diagnostics in: " + e.getMessage());
        sandboxer.shutdown(id);
        assertFalse(Files.exists(settings.vmDir(id)));
        assertFalse(Files.exists(settings.state().resolve("vms").resolve(id + ".json")));
    }

    @Test
    void missingGuestOrQemuAndHostNamespacesAreRefusedBeforeAnythingStarts() throws Exception {
        sandboxer = new VmmSandboxer(settings.withGuestDir(base.resolve("nowhere")));
        SandboxException noKernel = assertThrows(SandboxException.class,
                () -> sandboxer.create(SandboxSpec.of("p1", "p", "default")));
        assertEquals(SandboxException.Reason.FAILED_PRECONDITION, noKernel.reason());
        assertTrue(noKernel.getMessage().contains("vmlinuz"), noKernel.getMessage());
        sandboxer.close();

        sandboxer = new VmmSandboxer(settings.withQemu(base.resolve("no-qemu")));
        SandboxException noQemu = assertThrows(SandboxException.class,
                () -> sandboxer.create(SandboxSpec.of("p2", "p", "default")));
        assertEquals(SandboxException.Reason.FAILED_PRECONDITION, noQemu.reason());
        assertTrue(noQemu.getMessage().contains("no-qemu"), noQemu.getMessage());
        assertTrue(sandboxer.info().technology().contains("unavailable"), sandboxer.info().toString());

        SandboxSpec s = SandboxSpec.of("p3", "p", "default");
        SandboxSpec hostNet = new SandboxSpec(s.id(), s.name(), s.namespace(), "", 0, "p", null, null,
                new SandboxSpec.NamespaceMode(true, false, false), "", null, null, null, null, null, null, null);
        SandboxException host = assertThrows(SandboxException.class, () -> sandboxer.create(hostNet));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, host.reason());
        assertEquals(List.of(), sandboxer.list());
        try (var files = Files.list(settings.state().resolve("vms"))) {
            assertEquals(0, files.count(), "a refused pod left a record");
        }
    }

    @Test
    void privilegedContainersAreInvalidArguments() {
        SandboxException e = assertThrows(SandboxException.class,
                () -> PodTasks.refuseUnsupported(VmStore.mapper().readTree(BusyboxRootfs.spec(List.of("true"), true)), "c"));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("privileged"), e.getMessage());
    }

    static void waitFor(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** An in-process output channel like the engine's ExecSync collector. */
    static final class Collector implements WritableByteChannel {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean open = true;

        @Override
        public synchronized int write(ByteBuffer src) {
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }

        synchronized String text() {
            return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
