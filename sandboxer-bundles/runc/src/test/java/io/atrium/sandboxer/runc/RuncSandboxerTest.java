package io.atrium.sandboxer.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.libc.Signals;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runc sandboxer against real runc, namespaces, cgroups and mounts (needs root). */
class RuncSandboxerTest {
    private static final String LINE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z (stdout|stderr) [PF] .*";

    @TempDir
    static Path imageDir;
    @TempDir
    Path nodeDir;
    private static Path image;
    private RuncTestNode node;
    private RuncSandboxer sandboxer;

    @BeforeAll
    static void buildImage() throws Exception {
        image = BusyboxRootfs.build(imageDir.resolve("busybox"), "hello from web\n");
    }

    @BeforeEach
    void startNode() throws IOException {
        node = new RuncTestNode(nodeDir, image);
        sandboxer = node.sandboxer();
    }

    @AfterEach
    void shutdownAndCheckNothingLeft() throws Exception {
        TestNodes.tearDown(sandboxer, node::assertNothingLeft, node);
    }

    private TaskService startPod(String id, String hostname) throws Exception {
        SandboxSpec spec = node.pod(id, hostname);
        assertEquals(id, sandboxer.create(spec));
        return ((TaskEndpoint.InProcess) sandboxer.start(id).tasks()).service();
    }

    private static ExitStatus await(TaskService tasks, String containerId) throws Exception {
        return tasks.waitExit(containerId, "").toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private List<String> logLines(String containerId) throws IOException {
        Path log = node.logOf(containerId);
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private void awaitLog(String containerId, Predicate<List<String>> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.test(logLines(containerId))) {
            assertTrue(System.nanoTime() < deadline, "log of " + containerId + " never matched: " + logLines(containerId));
            Thread.sleep(50);
        }
    }

    @Test
    void twoContainersShareLocalhostAndHostnameWithoutAPauseContainer() throws Exception {
        TaskService tasks = startPod("pod-share", "shared-host");
        tasks.create(node.container("web", MinimalOciSpec.of("httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www")
                .toString()));
        tasks.start("web", "");
        tasks.create(node.container("client", MinimalOciSpec.of("sh", "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do wget -q -O - http://127.0.0.1:8080/ && break; "
                        + "sleep 0.2; done; hostname").toString()));
        long pid = tasks.start("client", "");
        assertTrue(pid > 0);

        ExitStatus client = await(tasks, "client");
        assertEquals(0, client.code(), "client log: " + logLines("client"));
        List<String> out = logLines("client");
        assertTrue(out.stream().anyMatch(l -> l.endsWith(" stdout F hello from web")), out.toString());
        assertTrue(out.stream().anyMatch(l -> l.endsWith(" stdout F shared-host")), out.toString());
        assertEquals(TaskStatus.RUNNING, tasks.state("web", "").status());
        // the pod is no process: only the web server remains, in the pod's cgroup
        assertEquals(1, tasks.pids("web").size());
        assertEquals(0, sandboxer.status("pod-share", false).pid());
    }

    @Test
    void logsAreInCriFormatWithBothStreamsAndPartialLines() throws Exception {
        TaskService tasks = startPod("pod-log", "logger");
        tasks.create(node.container("talker", MinimalOciSpec.of("sh", "-c",
                "echo out; echo err >&2; head -c 20000 /dev/zero | tr '\\0' a; echo; printf partial").toString()));
        tasks.start("talker", "");
        assertEquals(0, await(tasks, "talker").code());

        List<String> lines = logLines("talker");
        lines.forEach(l -> assertTrue(l.matches(LINE), "not a CRI log line: " + l.substring(0, Math.min(80, l.length()))));
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F out")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stderr F err")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout P partial")), lines.toString());
        String p16k = " stdout P " + "a".repeat(io.atrium.sandboxer.ociruntime.OutputSink.CriLog.MAX_LINE);
        String rest = " stdout F " + "a".repeat(20000 - io.atrium.sandboxer.ociruntime.OutputSink.CriLog.MAX_LINE);
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(p16k)), "16 KiB partial line");
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(rest)), "rest of the long line");
    }

    @Test
    void execReportsOutputAndExitCode() throws Exception {
        TaskService tasks = startPod("pod-exec", "execer");
        tasks.create(node.container("sleeper", MinimalOciSpec.of("sleep", "1000").toString()));
        tasks.start("sleeper", "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((pod, e) -> events.add(e));
        ObjectNode process = (ObjectNode) MinimalOciSpec.of("sh", "-c", "echo hi from $(hostname); echo oops >&2; exit 3")
                .get("process");
        tasks.exec(new ExecProcess("sleeper", "e1", process.toString(), new Stdio(Stdio.Endpoint.NONE,
                new Stdio.Endpoint.OutputChannel(Channels.newChannel(out)),
                new Stdio.Endpoint.OutputChannel(Channels.newChannel(err)), false, false)));
        long pid = tasks.start("sleeper", "e1");
        ExitStatus exit = tasks.waitExit("sleeper", "e1").toCompletableFuture().get(30, TimeUnit.SECONDS);

        assertEquals(3, exit.code());
        assertEquals("hi from execer\n", out.toString());
        assertEquals("oops\n", err.toString());
        assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.Exited x && x.execId().equals("e1")
                && x.pid() == pid && x.status().code() == 3), events.toString());
        assertEquals(3, tasks.delete("sleeper", "e1").code());
        assertThrows(SandboxException.class, () -> tasks.state("sleeper", "e1"));
        assertEquals(TaskStatus.RUNNING, tasks.state("sleeper", "").status(), "the container outlives its exec");
    }

    @Test
    void killDeliversSignalsAndStopEscalatesAfterTimeout() throws Exception {
        TaskService tasks = startPod("pod-kill", "killer");
        tasks.create(node.container("graceful", MinimalOciSpec.of("sh", "-c",
                "trap 'echo bye; exit 7' TERM; echo ready; while true; do sleep 0.1; done").toString()));
        tasks.start("graceful", "");
        // PID 1 of a container ignores signals it has no handler for: this one has none for SIGTERM
        tasks.create(node.container("stubborn", MinimalOciSpec.of("sleep", "1000").toString()));
        tasks.start("stubborn", "");
        awaitLog("graceful", l -> l.stream().anyMatch(s -> s.endsWith("F ready")));

        tasks.kill("graceful", "", Signals.SIGTERM, false);
        assertEquals(7, await(tasks, "graceful").code());
        assertTrue(logLines("graceful").stream().anyMatch(s -> s.endsWith(" stdout F bye")));

        long t0 = System.nanoTime();
        sandboxer.stop("pod-kill", Duration.ofSeconds(1));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        ExitStatus killed = await(tasks, "stubborn");
        assertEquals(137, killed.code());
        assertEquals(Signals.SIGKILL, killed.signal());
        assertTrue(took >= 900, "stop waited " + took + " ms before SIGKILL");
        assertEquals(SandboxState.STOPPED, sandboxer.status("pod-kill", false).state());
        assertTrue(sandboxer.waitExit("pod-kill").toCompletableFuture().isDone());
    }

    @Test
    void cgroupLimitsAreWrittenAndChangedByUpdate() throws Exception {
        TaskService tasks = startPod("pod-limits", "limited");
        ObjectNode spec = MinimalOciSpec.of("sleep", "1000");
        ObjectNode res = (ObjectNode) spec.get("linux").get("resources");
        res.putObject("memory").put("limit", 64L * 1024 * 1024);
        res.putObject("cpu").put("shares", 512);
        res.putObject("pids").put("limit", 50);
        ((ObjectNode) spec.get("process")).put("oomScoreAdj", -900); // this node refuses negative values
        tasks.create(node.container("limited", spec.toString()));
        long pid = tasks.start("limited", "");

        Path cg = Path.of("/sys/fs/cgroup");
        String rel = node.cgroupParent + "/pod-limits/limited";
        assertEquals("67108864", Files.readString(cg.resolve("memory").resolve(rel).resolve("memory.limit_in_bytes")).strip());
        assertEquals("512", Files.readString(cg.resolve("cpu").resolve(rel).resolve("cpu.shares")).strip());
        assertEquals("50", Files.readString(cg.resolve("pids").resolve(rel).resolve("pids.max")).strip());
        String jvmAdj = Files.readString(Path.of("/proc/self/oom_score_adj")).strip();
        assertEquals(jvmAdj, Files.readString(Path.of("/proc/" + pid + "/oom_score_adj")).strip());

        tasks.update("limited", new Resources(0, 0, 0, "", "", 128L * 1024 * 1024, 0, 60, 0, Map.of(), Map.of()));
        assertEquals("134217728", Files.readString(cg.resolve("memory").resolve(rel).resolve("memory.limit_in_bytes")).strip());
        assertEquals("60", Files.readString(cg.resolve("pids").resolve(rel).resolve("pids.max")).strip());

        ContainerStats stats = tasks.stats("limited");
        assertEquals(1, stats.pids());
        assertTrue(stats.memoryUsageBytes() > 0, stats.toString());
        assertTrue(stats.cpuUsageNanos() > 0, stats.toString());
        assertTrue(sandboxer.metrics("pod-limits").memoryUsageBytes() >= stats.memoryUsageBytes());
    }

    @Test
    void aNewInstanceReadoptsRunningContainersAndCanStopThem() throws Exception {
        TaskService tasks = startPod("pod-swap", "swapper");
        tasks.create(node.container("ticker", MinimalOciSpec.of("sh", "-c",
                "i=0; trap 'echo term; exit 5' TERM; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done").toString()));
        long pid = tasks.start("ticker", "");
        tasks.create(node.container("doomed", MinimalOciSpec.of("sleep", "1000").toString()));
        long doomedPid = tasks.start("doomed", "");
        awaitLog("ticker", l -> l.size() >= 3);

        sandboxer.close(); // what a bundle update does to the old instance
        // dies while no instance watches: its exit code must still be collected (it is the JVM's child)
        new io.atrium.bindings.libc.Syscalls().kill((int) doomedPid, Signals.SIGKILL);
        Thread.sleep(300);
        int before = logLines("ticker").size();
        sandboxer = node.sandboxer();

        assertEquals(List.of("pod-swap"), sandboxer.list().stream().map(s -> s.sandboxId()).toList());
        TaskService readopted = ((TaskEndpoint.InProcess) sandboxer.tasks("pod-swap")).service();
        assertEquals(pid, readopted.state("ticker", "").pid());
        assertEquals(TaskStatus.RUNNING, readopted.state("ticker", "").status());
        assertEquals(137, await(readopted, "doomed").code());
        // output written while no instance read it was kept in the FIFO, and reading goes on
        awaitLog("ticker", l -> l.size() > before + 5);
        List<String> lines = logLines("ticker");
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(lines.get(i).endsWith(" stdout F tick " + i), "line " + i + " lost or torn: " + lines.get(i));
        }

        readopted.kill("ticker", "", Signals.SIGTERM, false);
        assertEquals(5, await(readopted, "ticker").code());
        assertTrue(logLines("ticker").get(logLines("ticker").size() - 1).endsWith(" stdout F term"));
    }

    @Test
    void aBadSpecSurfacesRuncsMessageAndLeavesNothing() throws Exception {
        TaskService tasks = startPod("pod-bad", "bad");
        ObjectNode spec = MinimalOciSpec.of("true");
        ((com.fasterxml.jackson.databind.node.ArrayNode) spec.get("mounts")).addObject().put("destination", "/data")
                .put("type", "bind").put("source", "/nonexistent/atrium-source").putArray("options").add("rbind");
        SandboxException e = assertThrows(SandboxException.class, () -> tasks.create(node.container("broken", spec.toString())));
        assertTrue(e.getMessage().contains("/nonexistent/atrium-source"), e.getMessage());
        assertTrue(e.getMessage().startsWith("runc failed to create container broken"), e.getMessage());
        assertThrows(SandboxException.class, () -> tasks.state("broken", ""));
        assertFalse(Files.exists(node.settings.podsRunDir().resolve("pod-bad/containers/broken")));
        assertEquals(List.of(), new io.atrium.sandboxer.ociruntime.CgroupTree(io.atrium.bindings.cgroup.Cgroups.detect())
                .everywhere(node.cgroupParent + "/pod-bad/broken"));

        SandboxException json = assertThrows(SandboxException.class, () -> tasks.create(node.container("nojson", "{nope")));
        assertEquals(Reason.INVALID_ARGUMENT, json.reason());
        CreateTask fifoTty = node.container("fifotty", MinimalOciSpec.of("sh").toString());
        assertEquals(Reason.UNIMPLEMENTED, assertThrows(SandboxException.class, () -> tasks.create(new CreateTask("fifotty",
                fifoTty.ociSpecJson(), fifoTty.rootfs(), new Stdio(Stdio.Endpoint.NONE,
                new Stdio.Endpoint.Fifo(node.dir.resolve("some.fifo")), Stdio.Endpoint.NONE, true, false), Map.of())))
                .reason(), "a terminal's streams cannot be FIFOs");

        // the pod still works after the failures
        tasks.create(node.container("fine", MinimalOciSpec.of("true").toString()));
        tasks.start("fine", "");
        assertEquals(0, await(tasks, "fine").code());
        assertEquals(0, tasks.delete("fine", "").code());
    }

    @Test
    void aPodWhoseNetworkNamespaceIsMissingIsRefusedAndLeavesNothing() throws Exception {
        SandboxSpec spec = new SandboxSpec("pod-nonet", "n", "default", "", 0, "h", null,
                node.dir.resolve("no-such-netns"), null, "", null, null, null, null, null, null, null);
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(SandboxException.class, () -> sandboxer.create(spec)).reason());
        assertEquals(List.of(), sandboxer.list());
        assertEquals(Reason.NOT_FOUND, assertThrows(SandboxException.class, () -> sandboxer.status("pod-nonet", false))
                .reason());
    }

    @Test
    void anOomKillIsReportedAsEventAndExitReason() throws Exception {
        TaskService tasks = startPod("pod-oom", "oom");
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((pod, e) -> events.add(e));
        ObjectNode spec = MinimalOciSpec.of("sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");
        ((ObjectNode) spec.get("linux").get("resources")).putObject("memory").put("limit", 16L * 1024 * 1024)
                .put("swap", 16L * 1024 * 1024);
        tasks.create(node.container("hog", spec.toString()));
        tasks.start("hog", "");

        ExitStatus exit = await(tasks, "hog");
        assertEquals("OOMKilled", exit.reason(), exit + " " + logLines("hog"));
        assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.OutOfMemory o && o.containerId().equals("hog")),
                events.toString());
        int oom = events.indexOf(events.stream().filter(e -> e instanceof TaskEvent.OutOfMemory).findFirst().get());
        int exited = events.indexOf(events.stream().filter(e -> e instanceof TaskEvent.Exited).findFirst().get());
        assertTrue(oom < exited, "OOM is reported before the exit: " + events);
    }

    @Test
    void pauseFreezesAndResumeThaws() throws Exception {
        TaskService tasks = startPod("pod-pause", "pauser");
        tasks.create(node.container("ticker", MinimalOciSpec.of("sh", "-c",
                "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done").toString()));
        tasks.start("ticker", "");
        awaitLog("ticker", l -> l.size() >= 2);
        Path freezer = Path.of("/sys/fs/cgroup/freezer", node.cgroupParent, "pod-pause", "ticker", "freezer.state");

        tasks.pause("ticker");
        assertEquals(TaskStatus.PAUSED, tasks.state("ticker", "").status());
        assertEquals("FROZEN", Files.readString(freezer).strip());
        int frozenAt = logLines("ticker").size();
        Thread.sleep(400);
        assertEquals(frozenAt, logLines("ticker").size(), "a frozen container wrote output");

        tasks.resume("ticker");
        assertEquals(TaskStatus.RUNNING, tasks.state("ticker", "").status());
        awaitLog("ticker", l -> l.size() > frozenAt + 2);
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(SandboxException.class, () -> tasks.resume("ticker")).reason());
    }

    @Test
    void reopenLogContinuesInAFreshFileAfterRotation() throws Exception {
        TaskService tasks = startPod("pod-rotate", "rotator");
        tasks.create(node.container("ticker", MinimalOciSpec.of("sh", "-c",
                "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done").toString()));
        tasks.start("ticker", "");
        awaitLog("ticker", l -> l.size() >= 2);
        Path rotated = node.logOf("ticker").resolveSibling("ticker.log.1");
        Files.move(node.logOf("ticker"), rotated); // what kubelet does before ReopenContainerLog
        long rotatedSize = Files.size(rotated);

        ((PodTasks) tasks).reopenLog("ticker");
        awaitLog("ticker", l -> l.size() >= 2);
        Thread.sleep(100);
        assertTrue(logLines("ticker").get(0).matches(LINE));
        long grewBy = Files.size(rotated) - rotatedSize;
        assertTrue(grewBy < 200, "the rotated file kept growing by " + grewBy + " bytes after reopen");
    }

    @Test
    void infoNamesTheRuncVersion() {
        assertTrue(sandboxer.info().technology().matches("runc \\d+\\.\\d+\\.\\d+.*"), sandboxer.info().technology());
        assertNotEquals("", sandboxer.info().details().get("root"));
    }
}
