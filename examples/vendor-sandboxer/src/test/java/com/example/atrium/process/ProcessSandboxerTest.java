package com.example.atrium.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandboxer outside OSGi, with real processes in a busybox root filesystem. Needs root
 * (chroot) and Debian's busybox-static; skipped with the reason otherwise.
 */
class ProcessSandboxerTest {

    private static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    Path base;
    private Path rootfs;
    private Path stateDir;
    private Path runDir;
    private final List<ProcessSandboxer> instances = new ArrayList<>();

    @BeforeEach
    void buildRootfs() throws Exception {
        assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0, "needs root: chroot(2) is privileged");
        assumeTrue(Files.isExecutable(BUSYBOX), "needs a static busybox at " + BUSYBOX + " (apt-get install busybox-static)");
        rootfs = Files.createDirectories(base.resolve("rootfs"));
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.createDirectories(rootfs.resolve("tmp"));
        Files.copy(BUSYBOX, bin.resolve("busybox"));
        for (String tool : List.of("sh", "echo", "sleep", "cat", "pwd", "true")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("busybox"));
        }
        stateDir = base.resolve("state");
        runDir = base.resolve("run");
    }

    @AfterEach
    void releaseEverything() {
        for (ProcessSandboxer s : instances) {
            try {
                s.deactivate();
            } catch (RuntimeException e) {
                // already deactivated by the test
            }
        }
        // Kill whatever a failed test left running, then unmount, so @TempDir can be removed.
        try (var ps = ProcessHandle.allProcesses()) {
            ps.filter(p -> p.info().commandLine().map(c -> c.contains(base.toString())).orElse(false))
                    .forEach(ProcessHandle::destroyForcibly);
        }
        if (runDir != null) {
            try {
                new ProcessBuilder("umount", "--recursive", "--quiet", runDir.toString()).start().waitFor(10, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                // nothing was mounted
            }
        }
    }

    private ProcessSandboxer sandboxer(String version) throws IOException {
        ProcessSandboxer s = new ProcessSandboxer(stateDir, runDir, version);
        instances.add(s);
        return s;
    }

    private static String spec(Path root, String cwd, List<String> env, String... args) {
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("args", List.of(args));
        process.put("env", env);
        process.put("cwd", cwd);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("ociVersion", "1.1.0");
        spec.put("process", process);
        spec.put("root", root == null ? Map.of() : Map.of("path", root.toString()));
        return Json.write(spec);
    }

    private TaskService startedPod(ProcessSandboxer s, String id) {
        s.create(SandboxSpec.of(id, "web", "default"));
        TaskEndpoint endpoint = s.start(id).tasks();
        assertTrue(endpoint instanceof TaskEndpoint.InProcess, "in-process task service");
        return ((TaskEndpoint.InProcess) endpoint).service();
    }

    private static ExitStatus exitOf(TaskService tasks, String containerId) throws Exception {
        return tasks.waitExit(containerId, "").toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void runsTheSpecsProcessInItsRootAndWritesCriLogLines() throws Exception {
        ProcessSandboxer s = sandboxer("1.0.0");
        TaskService tasks = startedPod(s, "pod1");
        Path log = base.resolve("logs/app/0.log");
        tasks.create(new CreateTask("app", spec(rootfs, "/tmp", List.of("GREETING=hi", "PATH=/bin"), "sh", "-c",
                "echo out:$GREETING; pwd; [ -e /etc/hostname ] && echo host || echo chrooted; echo err >&2; printf tail; exit 3"),
                List.of(), Stdio.criLog(log, false), Map.of()));
        assertEquals(TaskStatus.CREATED, tasks.state("app", "").status());

        long pid = tasks.start("app", "");
        assertTrue(pid > 0);
        ExitStatus exit = exitOf(tasks, "app");
        assertEquals(3, exit.code());
        assertEquals("Error", exit.reason());

        List<String> lines = Files.readAllLines(log);
        String ts = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z";
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F out:hi")), "env reached the process: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F /tmp")), "cwd from the spec: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F chrooted")), "root from the spec: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stderr F err")), "stderr tagged: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F tail")), "unterminated last line shipped at exit: " + lines);
        Instant.parse(lines.get(0).split(" ")[0]);

        assertEquals(TaskStatus.STOPPED, tasks.state("app", "").status());
        assertEquals(3, tasks.delete("app", "").code());
        SandboxException gone = assertThrows(SandboxException.class, () -> tasks.state("app", ""));
        assertEquals(Reason.NOT_FOUND, gone.reason());
        assertFalse(Files.exists(runDir.resolve("pod1/app")), "run directory removed on delete");
    }

    @Test
    void killSignalsTheProcessAndSubscribersHearTheExit() throws Exception {
        ProcessSandboxer s = sandboxer("1.0.0");
        TaskService tasks = startedPod(s, "pod2");
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((sandboxId, e) -> events.add(e));
        tasks.create(new CreateTask("sleeper", spec(rootfs, "/", List.of(), "/bin/sleep", "1000"), List.of(), Stdio.NONE, Map.of()));
        long pid = tasks.start("sleeper", "");
        assertEquals(pid, tasks.pids("sleeper").get(0).pid());
        assertTrue(tasks.stats("sleeper").pids() >= 1, "stats count the live process");
        SandboxException running = assertThrows(SandboxException.class, () -> tasks.delete("sleeper", ""));
        assertEquals(Reason.FAILED_PRECONDITION, running.reason());

        tasks.kill("sleeper", "", 15, false);
        ExitStatus exit = exitOf(tasks, "sleeper");
        assertEquals(143, exit.code());
        assertEquals(15, exit.signal());
        waitFor("the exit event", () -> !events.isEmpty());
        TaskEvent.Exited e = (TaskEvent.Exited) events.get(0);
        assertEquals("sleeper", e.containerId());
        assertEquals(pid, e.pid());
        assertTrue(tasks.pids("sleeper").isEmpty());
    }

    @Test
    void aNewInstanceReadoptsARunningContainerAndKeepsShippingItsLog() throws Exception {
        ProcessSandboxer v1 = sandboxer("1.0.0");
        TaskService tasks = startedPod(v1, "pod3");
        Path log = base.resolve("logs/app.log");
        tasks.create(new CreateTask("app", spec(rootfs, "/", List.of(), "/bin/sh", "-c",
                "echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two; exec sleep 1000"),
                List.of(), Stdio.criLog(log, false), Map.of()));
        long pid = tasks.start("app", "");
        waitFor("the first line", () -> read(log).contains("stdout F one"));
        v1.deactivate();
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "deactivation leaves containers running");
        Files.createFile(rootfs.resolve("tmp/go")); // written while no instance ships logs

        ProcessSandboxer v2 = sandboxer("2.0.0");
        assertEquals(List.of("pod3"), v2.list().stream().map(st -> st.sandboxId()).toList());
        assertEquals("1.0.0", v2.status("pod3", false).info().get("createdBy"));
        assertEquals("2.0.0", v2.status("pod3", false).info().get("servedBy"));
        TaskService adopted = ((TaskEndpoint.InProcess) v2.tasks("pod3")).service();
        assertEquals(TaskStatus.RUNNING, adopted.state("app", "").status());
        assertEquals(pid, adopted.state("app", "").pid());
        waitFor("the line written during the swap", () -> read(log).contains("stdout F two"));

        adopted.kill("app", "", 9, true);
        ExitStatus exit = exitOf(adopted, "app");
        assertEquals(ExitStatus.UNKNOWN_CODE, exit.code());
        assertTrue(exit.reason().contains("re-adopted"), exit.reason());
        long ones = read(log).lines().filter(l -> l.endsWith("stdout F one")).count();
        assertEquals(1, ones, "the new instance resumed at the saved offset:\n" + read(log));
    }

    @Test
    void aContainerThatDiedWhileNoInstanceRanIsReportedWithUnknownCode() throws Exception {
        ProcessSandboxer v1 = sandboxer("1.0.0");
        TaskService tasks = startedPod(v1, "pod4");
        tasks.create(new CreateTask("app", spec(rootfs, "/", List.of(), "/bin/sleep", "1000"), List.of(), Stdio.NONE, Map.of()));
        long pid = tasks.start("app", "");
        v1.deactivate();
        ProcessHandle container = ProcessHandle.of(pid).orElseThrow();
        container.destroyForcibly();
        container.onExit().get(10, TimeUnit.SECONDS);

        ProcessSandboxer v2 = sandboxer("2.0.0");
        TaskService adopted = ((TaskEndpoint.InProcess) v2.tasks("pod4")).service();
        ExitStatus exit = exitOf(adopted, "app");
        assertEquals(ExitStatus.UNKNOWN_CODE, exit.code());
        assertTrue(exit.reason().contains("no process sandboxer watched"), exit.reason());
        assertEquals(TaskStatus.STOPPED, adopted.state("app", "").status());
    }

    @Test
    void persistsAtomicallyWithAFormatAndRefusesANewerFormat() throws Exception {
        ProcessSandboxer v1 = sandboxer("1.0.0");
        v1.create(SandboxSpec.of("pod5", "web", "default"));
        assertEquals("1", Files.readString(stateDir.resolve("FORMAT")).trim());
        Map<String, Object> saved = Json.object(Json.parse(Files.readString(stateDir.resolve("pods/pod5.json"))), "pod");
        assertEquals(1L, saved.get("format"));
        assertEquals("CREATED", saved.get("state"));
        try (var files = Files.list(stateDir.resolve("pods"))) {
            assertEquals(List.of("pod5.json"), files.map(f -> f.getFileName().toString()).toList(), "no temp files left");
        }
        v1.deactivate();

        Files.writeString(stateDir.resolve("FORMAT"), "2\n");
        IOException refused = assertThrows(IOException.class, () -> sandboxer("1.0.0"));
        assertTrue(refused.getMessage().contains("has format 2") && refused.getMessage().contains("reads only format 1"),
                refused.getMessage());
        assertTrue(Files.exists(stateDir.resolve("pods/pod5.json")), "refusing leaves the state untouched");
    }

    @Test
    void rootfsMountsAreMountedForTheContainerAndUndoneOnDelete() throws Exception {
        ProcessSandboxer s = sandboxer("1.0.0");
        TaskService tasks = startedPod(s, "pod6");
        Files.writeString(rootfs.resolve("marker"), "from the bind mount\n");
        Path log = base.resolve("logs/m.log");
        tasks.create(new CreateTask("m", spec(null, "/", List.of(), "/bin/cat", "/marker"),
                List.of(new Mount("bind", rootfs.toString(), "", List.of("rbind", "ro"))), Stdio.criLog(log, false), Map.of()));
        Path mountPoint = runDir.resolve("pod6/m/rootfs");
        assertTrue(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mountPoint + " "), "rootfs mounted");
        tasks.start("m", "");
        assertEquals(0, exitOf(tasks, "m").code());
        assertTrue(read(log).contains("stdout F from the bind mount"), read(log));
        tasks.delete("m", "");
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mountPoint + " "), "rootfs unmounted");
        assertFalse(Files.exists(mountPoint));
        assertTrue(Files.exists(rootfs.resolve("marker")), "unmounting never touches the source");
    }

    @Test
    void stopKillsWhatIgnoresSigtermAndShutdownRemovesThePod() throws Exception {
        ProcessSandboxer s = sandboxer("1.0.0");
        TaskService tasks = startedPod(s, "pod7");
        tasks.create(new CreateTask("stubborn", spec(rootfs, "/", List.of(), "/bin/sh", "-c", "trap '' TERM; while true; do sleep 1; done"),
                List.of(), Stdio.NONE, Map.of()));
        tasks.start("stubborn", "");
        Thread.sleep(200); // let the shell install its trap
        s.stop("pod7", Duration.ofMillis(500));
        assertEquals(SandboxState.STOPPED, s.status("pod7", false).state());
        assertEquals(137, exitOf(tasks, "stubborn").code());
        assertEquals(0, s.waitExit("pod7").toCompletableFuture().get(5, TimeUnit.SECONDS).code());
        SandboxException noNew = assertThrows(SandboxException.class, () -> tasks.create(new CreateTask("late",
                spec(rootfs, "/", List.of(), "/bin/true"), List.of(), Stdio.NONE, Map.of())));
        assertEquals(Reason.FAILED_PRECONDITION, noNew.reason());

        s.shutdown("pod7");
        s.shutdown("pod7"); // idempotent
        assertEquals(Reason.NOT_FOUND, assertThrows(SandboxException.class, () -> s.status("pod7", false)).reason());
        assertFalse(Files.exists(stateDir.resolve("pods/pod7.json")));
        assertFalse(Files.exists(runDir.resolve("pod7")));
    }

    @Test
    void whatAPlainProcessCannotDoIsRefusedWithTheReason() throws Exception {
        ProcessSandboxer s = sandboxer("1.0.0");
        TaskService tasks = startedPod(s, "pod8");
        tasks.create(new CreateTask("c", spec(rootfs, "/", List.of(), "/bin/true"), List.of(), Stdio.NONE, Map.of()));
        SandboxException exec = assertThrows(SandboxException.class,
                () -> tasks.exec(new ExecProcess("c", "e1", "{}", Stdio.NONE)));
        assertEquals(Reason.UNIMPLEMENTED, exec.reason());
        assertTrue(exec.getMessage().contains("exec is not implemented"), exec.getMessage());
        assertEquals(Reason.UNIMPLEMENTED, assertThrows(SandboxException.class, () -> tasks.pause("c")).reason());
        assertEquals(Reason.UNIMPLEMENTED, assertThrows(SandboxException.class, () -> tasks.resizePty("c", "", 80, 24)).reason());
        SandboxException tty = assertThrows(SandboxException.class, () -> tasks.create(new CreateTask("t",
                spec(rootfs, "/", List.of(), "/bin/sh"), List.of(), Stdio.criLog(base.resolve("t.log"), true), Map.of())));
        assertEquals(Reason.UNIMPLEMENTED, tty.reason());
        assertTrue(tty.getMessage().contains("no TTY"), tty.getMessage());
        SandboxException relative = assertThrows(SandboxException.class, () -> tasks.create(new CreateTask("r",
                "{\"process\":{\"args\":[\"/bin/true\"]},\"root\":{\"path\":\"rootfs\"}}", List.of(), Stdio.NONE, Map.of())));
        assertEquals(Reason.INVALID_ARGUMENT, relative.reason());
        SandboxException badId = assertThrows(SandboxException.class, () -> s.create(SandboxSpec.of("../escape", "x", "y")));
        assertEquals(Reason.INVALID_ARGUMENT, badId.reason());
        assertNotEquals(0, s.info().details().size());
    }
}
