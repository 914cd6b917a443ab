package io.atrium.sandboxer.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.libc.MountInfo;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Platform;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WasmSandboxerTest {
    private static final Pattern CRI_LINE =
            Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z) (stdout|stderr) ([PF]) (.*)$");

    @TempDir
    Path tmp;
    WasmTestNode node;

    @BeforeEach
    void node() throws IOException {
        node = new WasmTestNode(tmp, ModuleCache.Execution.COMPILER);
    }

    @AfterEach
    void noMountsLeft() throws IOException {
        node.close();
        Path d = tmp.toAbsolutePath();
        List<Path> left = MountInfo.current().stream().map(MountInfo::mountPoint).filter(p -> p.startsWith(d)).toList();
        assertEquals(List.of(), left, "mounts left behind");
    }

    private static ExitStatus waitExit(TaskService tasks, String id) throws Exception {
        return tasks.waitExit(id, null).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** The log as (stream, tag, message) triples; fails on any line not in CRI format. */
    private static List<String> logEntries(Path log) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = CRI_LINE.matcher(line);
            assertTrue(m.matches(), "not a CRI log line: " + line);
            out.add(m.group(2) + " " + m.group(3) + " " + m.group(4));
        }
        return out;
    }

    @Test
    void helloWorldGoesToTheCriLogWithArgsAndEnv() throws Exception {
        TaskService tasks = node.pod("p1");
        Path log = tmp.resolve("logs/hello.log");
        tasks.create(node.task("c1", node.spec(List.of("/hello.wasm", "one", "two"), Map.of("GREETING", "hi"), List.of(), 0),
                node.snapshot(node.layer("hello")), log));
        assertEquals(TaskStatus.CREATED, tasks.state("c1", null).status());
        assertEquals(0, tasks.start("c1", null), "no process, so no pid");
        ExitStatus exit = waitExit(tasks, "c1");
        assertEquals(0, exit.code());
        assertEquals("Completed", exit.reason());
        List<String> entries = logEntries(log);
        assertTrue(entries.contains("stdout F hello from wasm"), entries.toString());
        assertTrue(entries.contains("stdout F args=3 last=two"), entries.toString());
        assertTrue(entries.contains("stdout F GREETING=hi"), entries.toString());
        assertTrue(entries.contains("stderr F to stderr"), entries.toString());
        assertEquals("stdout P no newline at the end", entries.get(entries.size() - 1));
        assertEquals(TaskStatus.STOPPED, tasks.state("c1", null).status());
        assertEquals(new Platform("wasi", "wasm", ""), node.sandboxer.platform("p1"));
    }

    @Test
    void reopenLogWritesToAFreshFileAfterRotation() throws Exception {
        TaskService tasks = node.pod("p1");
        Path log = tmp.resolve("logs/rotated.log");
        tasks.create(node.task("c1", node.spec(List.of("/hello.wasm"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("hello")), log));
        Files.move(log, tmp.resolve("logs/rotated.log.1"));
        tasks.reopenLog("c1");
        tasks.start("c1", null);
        assertEquals(0, waitExit(tasks, "c1").code());
        assertTrue(logEntries(log).contains("stdout F hello from wasm"));
        assertEquals(0, Files.size(tmp.resolve("logs/rotated.log.1")));
    }

    @Test
    void procExitCodeBecomesTheExitCode() throws Exception {
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/exit3.wasm"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("exit3")), tmp.resolve("exit3.log")));
        tasks.start("c1", null);
        ExitStatus exit = waitExit(tasks, "c1");
        assertEquals(3, exit.code());
        assertEquals("Error", exit.reason());
        assertEquals(3, tasks.delete("c1", null).code());
        assertThrows(SandboxException.class, () -> tasks.state("c1", null));
    }

    @Test
    void readsAMountedDirectoryAndWritesAReadWriteOne() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("host-data"));
        Files.writeString(data.resolve("in.txt"), "hello, volume");
        Path out = Files.createDirectories(tmp.resolve("host-out"));
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/files.wasm"), Map.of(),
                List.of(WasmTestNode.bind(data, "/data", true), WasmTestNode.bind(out, "/out", false)), 0),
                node.snapshot(node.layer("files")), tmp.resolve("files.log")));
        tasks.start("c1", null);
        assertEquals(0, waitExit(tasks, "c1").code(), Files.readString(tmp.resolve("files.log")));
        assertEquals("HELLO, VOLUME", Files.readString(out.resolve("result.txt")));
    }

    @Test
    void readOnlyMountRefusesWrites() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("host-ro"));
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/rowrite.wasm"), Map.of(),
                List.of(WasmTestNode.bind(ro, "/ro", true)), 0),
                node.snapshot(node.layer("rowrite")), tmp.resolve("ro.log")));
        tasks.start("c1", null);
        assertEquals(7, waitExit(tasks, "c1").code(), Files.readString(tmp.resolve("ro.log")));
        assertFalse(Files.exists(ro.resolve("new.txt")), "the read-only mount was written");
    }

    @Test
    void symlinksInTheImageCannotReachTheHost() throws Exception {
        Path layer = node.layer("symlink");
        Files.createSymbolicLink(layer.resolve("escape"), Path.of("/etc"));
        TaskService tasks = node.pod("p1");
        Path log = tmp.resolve("symlink.log");
        tasks.create(node.task("c1", node.spec(List.of("/symlink.wasm"), Map.of(), List.of(), 0),
                node.snapshot(layer), log));
        tasks.start("c1", null);
        assertEquals(5, waitExit(tasks, "c1").code(), Files.readString(log));
        assertTrue(Files.readString(log).contains("blocked"), Files.readString(log));
    }

    @Test
    void killStopsABusyLoopAtOnceAndCountsItsCpu() throws Exception {
        TaskService tasks = node.pod("p1");
        Path log = tmp.resolve("spin.log");
        tasks.create(node.task("c1", node.spec(List.of("/spin.wasm"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("spin")), log));
        tasks.start("c1", null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(log) && Files.readString(log).contains("spinning")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(300);
        ContainerStats running = tasks.stats("c1");
        assertTrue(running.cpuUsageNanos() > 50_000_000L, "cpu " + running.cpuUsageNanos());
        assertTrue(running.memoryUsageBytes() >= 65536, "memory " + running.memoryUsageBytes());
        assertEquals(1, running.pids());
        assertEquals(TaskStatus.RUNNING, tasks.state("c1", null).status());
        assertThrows(SandboxException.class, () -> tasks.delete("c1", null), "a running container cannot be deleted");
        long killedAt = System.nanoTime();
        tasks.kill("c1", null, 15, false);
        ExitStatus exit = tasks.waitExit("c1", null).toCompletableFuture().get(2, TimeUnit.SECONDS);
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertTrue(stopMillis < 2000, "took " + stopMillis + " ms");
        assertEquals(143, exit.code());
        assertEquals(15, exit.signal());
        assertTrue(tasks.stats("c1").cpuUsageNanos() >= running.cpuUsageNanos());
    }

    @Test
    void growingPastTheMemoryLimitIsOomKilled() throws Exception {
        TaskService tasks = node.pod("p1");
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((sandbox, e) -> events.add(e));
        tasks.create(node.task("c1", node.spec(List.of("/grow.wasm"), Map.of(), List.of(), 16L << 20),
                node.snapshot(node.layer("grow")), tmp.resolve("grow.log")));
        tasks.start("c1", null);
        ExitStatus exit = waitExit(tasks, "c1");
        assertEquals(137, exit.code(), Files.readString(tmp.resolve("grow.log")));
        assertEquals("OOMKilled", exit.reason());
        assertEquals(1, tasks.stats("c1").oomKills());
        assertTrue(events.contains(new TaskEvent.OutOfMemory("c1")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.Exited x && x.status().code() == 137), events.toString());
        assertTrue(Files.readString(tmp.resolve("grow.log")).contains("memory limit exceeded"));
    }

    @Test
    void withoutALimitTheSameModuleRuns() throws Exception {
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/grow.wasm", "x"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("grow")), tmp.resolve("grow.log")));
        tasks.start("c1", null);
        // 4 GiB asked, Chicory's 2 GiB ceiling is the module's own limit: malloc fails, the program says so
        ExitStatus exit = waitExit(tasks, "c1");
        assertEquals(42, exit.code(), Files.readString(tmp.resolve("grow.log")));
    }

    @Test
    void aModuleIsCompiledOnceForEveryContainerOfItsImage() throws Exception {
        Path layer = node.layer("hello");
        for (String pod : List.of("p1", "p2")) {
            TaskService tasks = node.pod(pod);
            for (String c : List.of("a", "b")) {
                tasks.create(node.task(c, node.spec(List.of("/hello.wasm"), Map.of(), List.of(), 0),
                        node.snapshot(layer), tmp.resolve(pod + c + ".log")));
                tasks.start(c, null);
                assertEquals(0, waitExit(tasks, c).code());
            }
        }
        assertEquals(1, node.sandboxer.modules().compilations());
    }

    @Test
    void execAndPauseAreRefusedClearly() throws Exception {
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/hello.wasm"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("hello")), tmp.resolve("x.log")));
        SandboxException exec = assertThrows(SandboxException.class,
                () -> tasks.exec(new ExecProcess("c1", "e1", "{\"args\":[\"sh\"]}", null)));
        assertEquals(SandboxException.Reason.UNIMPLEMENTED, exec.reason());
        assertTrue(exec.getMessage().contains("a Wasm container has no shell"), exec.getMessage());
        assertEquals(SandboxException.Reason.UNIMPLEMENTED,
                assertThrows(SandboxException.class, () -> tasks.pause("c1")).reason());
    }

    @Test
    void aFileThatIsNotAModuleOrIsMissingIsRefusedAtCreate() throws Exception {
        Path layer = Files.createDirectories(tmp.resolve("layers/text"));
        Files.writeString(layer.resolve("app.wasm"), "#!/bin/sh\necho not wasm\n");
        TaskService tasks = node.pod("p1");
        SandboxException notWasm = assertThrows(SandboxException.class, () -> tasks.create(node.task("c1",
                node.spec(List.of("/app.wasm"), Map.of(), List.of(), 0), node.snapshot(layer), tmp.resolve("x.log"))));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, notWasm.reason());
        assertTrue(notWasm.getMessage().contains("not a WebAssembly module"), notWasm.getMessage());
        SandboxException missing = assertThrows(SandboxException.class, () -> tasks.create(node.task("c2",
                node.spec(List.of("/nope.wasm"), Map.of(), List.of(), 0), node.snapshot(layer), tmp.resolve("y.log"))));
        assertTrue(missing.getMessage().contains("has no /nope.wasm"), missing.getMessage());
        assertThrows(SandboxException.class, () -> tasks.state("c1", null), "nothing is left of a failed create");
    }

    @Test
    void aHundredPodsRunInParallel() throws Exception {
        Path layer = node.layer("hello");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<ExitStatus>> runs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String pod = "pod-" + i;
                runs.add(pool.submit(() -> {
                    TaskService tasks = node.pod(pod);
                    tasks.create(node.task("c", node.spec(List.of("/hello.wasm", pod), Map.of(), List.of(), 0),
                            node.snapshot(layer), tmp.resolve("logs/" + pod + ".log")));
                    tasks.start("c", null);
                    return waitExit(tasks, "c");
                }));
            }
            for (Future<ExitStatus> f : runs) {
                assertEquals(0, f.get(120, TimeUnit.SECONDS).code());
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 100; i++) {
            List<String> entries = logEntries(tmp.resolve("logs/pod-" + i + ".log"));
            assertTrue(entries.contains("stdout F args=2 last=pod-" + i), entries.toString());
        }
        assertEquals(100, node.sandboxer.list().size());
        assertEquals(1, node.sandboxer.modules().compilations());
    }

    @Test
    void aBundleUpdateStopsRunningModulesWithAReasonAndTheNextInstanceServesThePods() throws Exception {
        TaskService tasks = node.pod("p1");
        Path layer = node.layer("spin", "hello");
        tasks.create(node.task("spin", node.spec(List.of("/spin.wasm"), Map.of(), List.of(), 0),
                node.snapshot(layer), tmp.resolve("spin.log")));
        tasks.start("spin", null);
        Thread.sleep(200);
        node.sandboxer.close(); // what Declarative Services does when the bundle is updated
        ExitStatus stopped = waitExit(tasks, "spin");
        assertEquals(WasmSandboxer.STOPPED_BY_UPDATE, stopped.reason());
        assertEquals(137, stopped.code());

        WasmSandboxer next = node.start(ModuleCache.Execution.COMPILER);
        try {
            assertEquals(SandboxState.READY, next.status("p1", false).state());
            TaskService again = ((io.atrium.sandbox.api.TaskEndpoint.InProcess) next.tasks("p1")).service();
            assertEquals(WasmSandboxer.STOPPED_BY_UPDATE, again.state("spin", null).exit().reason());
            again.create(node.task("hello", node.spec(List.of("/hello.wasm"), Map.of(), List.of(), 0),
                    node.snapshot(layer), tmp.resolve("hello.log")));
            again.start("hello", null);
            assertEquals(0, again.waitExit("hello", null).toCompletableFuture().get(60, TimeUnit.SECONDS).code());
            assertEquals(137, again.delete("spin", null).code());
        } finally {
            for (var s : next.list()) {
                next.shutdown(s.sandboxId());
            }
        }
    }

    @Test
    void stoppingAPodEndsItsContainersAndShutdownReleasesEverything() throws Exception {
        TaskService tasks = node.pod("p1");
        tasks.create(node.task("c1", node.spec(List.of("/spin.wasm"), Map.of(), List.of(), 0),
                node.snapshot(node.layer("spin")), tmp.resolve("spin.log")));
        tasks.start("c1", null);
        node.sandboxer.stop("p1", Duration.ofSeconds(2));
        assertEquals(137, waitExit(tasks, "c1").code());
        assertEquals(SandboxState.STOPPED, node.sandboxer.status("p1", false).state());
        node.sandboxer.waitExit("p1").toCompletableFuture().get(5, TimeUnit.SECONDS);
        node.sandboxer.shutdown("p1");
        node.sandboxer.shutdown("p1");
        assertEquals(List.of(), node.sandboxer.list());
        assertFalse(Files.exists(node.paths.sandboxerState("wasm").resolve("pods/p1.json")));
    }
}
