package io.atrium.sandboxer.gvisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.libc.Signals;
import io.atrium.sandbox.api.ContainerStats;
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
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gVisor sandboxer against real runsc (ptrace platform), network namespaces, cgroups and mounts (needs root). */
class GvisorSandboxerTest {
    private static final String LINE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z (stdout|stderr) [PF] .*";

    @TempDir
    static Path imageDir;
    @TempDir
    Path nodeDir;
    private static Path image;
    private GvisorTestNode node;
    private GvisorSandboxer sandboxer;

    @BeforeAll
    static void buildImage() throws Exception {
        assumeTrue(Files.isExecutable(GvisorTestNode.RUNSC), "runsc is not installed (Debian package runsc)");
        assumeTrue(ProcessHandle.current().info().user().map("root"::equals).orElse(false), "runsc sandboxes need root");
        image = GvisorTestNode.busyboxImage(imageDir.resolve("busybox"));
    }

    @BeforeEach
    void startNode() throws Exception {
        node = new GvisorTestNode(nodeDir, image);
        sandboxer = node.sandboxer();
    }

    @AfterEach
    void shutdownAndCheckNothingLeft() throws Exception {
        TestNodes.tearDown(sandboxer, node::assertNothingLeft, node);
    }

    private TaskService startPod(String id, String hostname) throws Exception {
        SandboxSpec spec = node.pod(id, hostname);
        assertEquals(id, sandboxer.create(spec));
        var ready = sandboxer.start(id);
        assertTrue(ready.pid() > 0, "the sandbox's kernel runs as a host process");
        return ((TaskEndpoint.InProcess) ready.tasks()).service();
    }

    private String run(TaskService tasks, String container, String id, int[] code, String... cmd) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ObjectNode process = (ObjectNode) GvisorTestNode.spec(cmd).get("process");
        tasks.exec(new ExecProcess(container, id, process.toString(), new Stdio(Stdio.Endpoint.NONE,
                new Stdio.Endpoint.OutputChannel(Channels.newChannel(out)),
                new Stdio.Endpoint.OutputChannel(Channels.newChannel(err)), false, false)));
        tasks.start(container, id);
        ExitStatus exit = tasks.waitExit(container, id).toCompletableFuture().get(30, TimeUnit.SECONDS);
        tasks.delete(container, id);
        code[0] = exit.code();
        return out.toString() + err;
    }

    private static String waitForLog(Path log, String... needles) throws Exception {
        String text = "";
        for (int i = 0; i < 100; i++) {
            text = Files.exists(log) ? Files.readString(log) : "";
            String t = text;
            if (List.of(needles).stream().allMatch(t::contains)) {
                return text;
            }
            Thread.sleep(100);
        }
        return text;
    }

    @Test
    void podRunsOnGvisorsKernelWithSharedLocalhostLogsExecAndExitCodes() throws Exception {
        TaskService tasks = startPod("gv1", "gvhost");
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((sandbox, e) -> events.add(e));
        tasks.create(node.container("web", GvisorTestNode.spec("sh", "-c",
                "echo out-line; echo err-line >&2; dmesg | head -1; uname -r; exec httpd -f -p 8080 -h /www").toString()));
        tasks.start("web", null);
        tasks.create(node.container("client", GvisorTestNode.spec("sleep", "1000").toString()));
        tasks.start("client", null);

        String log = waitForLog(node.logOf("web"), "out-line", "err-line", "Starting gVisor");
        assertTrue(log.lines().allMatch(l -> l.matches(LINE)), log);
        assertTrue(log.lines().anyMatch(l -> l.endsWith("stdout F out-line")), log);
        assertTrue(log.lines().anyMatch(l -> l.endsWith("stderr F err-line")), log);
        assertTrue(log.contains("Starting gVisor"), "dmesg shows gVisor's kernel, not the host's: " + log);
        String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertTrue(!log.contains(" " + hostKernel), "uname -r is not the host's " + hostKernel + ": " + log);

        int[] code = new int[1];
        String page = "";
        for (int i = 0; i < 50 && !page.contains("hello from gvisor"); i++) {
            page = run(tasks, "client", "wget-" + i, code, "wget", "-q", "-O-", "http://127.0.0.1:8080/index.html");
            Thread.sleep(100);
        }
        assertTrue(page.contains("hello from gvisor"), "the client container reaches the server on localhost: " + page);
        assertEquals("gvhost", run(tasks, "client", "h1", code, "hostname").strip());
        assertEquals("gvhost", run(tasks, "web", "h2", code, "hostname").strip());
        assertEquals("to-out\nto-err\n", run(tasks, "client", "e3", code, "sh", "-c", "echo to-out; echo to-err >&2; exit 3"));
        assertEquals(3, code[0]);

        java.nio.channels.Pipe stdin = java.nio.channels.Pipe.open();
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        tasks.exec(new ExecProcess("client", "cat", GvisorTestNode.spec("cat").get("process").toString(), new Stdio(
                new Stdio.Endpoint.InputChannel(stdin.source()), new Stdio.Endpoint.OutputChannel(Channels.newChannel(echoed)),
                Stdio.Endpoint.NONE, false, false)));
        tasks.start("client", "cat");
        stdin.sink().write(java.nio.ByteBuffer.wrap("through stdin\n".getBytes()));
        stdin.sink().close();
        ExitStatus catExit = tasks.waitExit("client", "cat").toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(0, catExit.code(), catExit.toString());
        assertEquals("through stdin\n", echoed.toString(), "an exec's stdin reaches the process inside gVisor");
        tasks.delete("client", "cat");

        ContainerStats stats = tasks.stats("web");
        assertTrue(stats.cpuUsageNanos() > 0 && stats.memoryUsageBytes() > 0, stats.toString());
        assertTrue(tasks.pids("client").size() >= 1, tasks.pids("client").toString());
        assertTrue(sandboxer.info().technology().startsWith("runsc "), sandboxer.info().toString());
        assertEquals("ptrace", sandboxer.info().details().get("platform"));

        tasks.kill("web", null, Signals.SIGTERM, false);
        ExitStatus exit = tasks.waitExit("web", null).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(128 + Signals.SIGTERM, exit.code(), exit.toString());
        assertEquals(TaskStatus.STOPPED, tasks.state("web", null).status());
        assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.Exited x && x.containerId().equals("web")
                && x.status().code() == 143), events.toString());
        tasks.delete("web", null);

        sandboxer.stop("gv1", Duration.ofSeconds(5));
        assertEquals(SandboxState.STOPPED, sandboxer.status("gv1", false).state());
        assertEquals(TaskStatus.STOPPED, tasks.state("client", null).status());
    }

    @Test
    void aNewInstanceReadoptsTheRunningPodAndControlsIt() throws Exception {
        TaskService tasks = startPod("gv2", "readopt");
        tasks.create(node.container("sleeper", GvisorTestNode.spec("sh", "-c", "echo before; sleep 1000").toString()));
        tasks.start("sleeper", null);
        waitForLog(node.logOf("sleeper"), "before");
        sandboxer.close();

        sandboxer = node.sandboxer();
        TaskService again = ((TaskEndpoint.InProcess) sandboxer.tasks("gv2")).service();
        assertEquals(SandboxState.READY, sandboxer.status("gv2", false).state());
        assertEquals(TaskStatus.RUNNING, again.state("sleeper", null).status());
        int[] code = new int[1];
        assertEquals("readopt", run(again, "sleeper", "x1", code, "hostname").strip());
        again.kill("sleeper", null, Signals.SIGKILL, true);
        ExitStatus exit = again.waitExit("sleeper", null).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(137, exit.code(), "the exit code is observed by the new instance: " + exit);
    }

    @Test
    void unsupportedOptionsAreRefusedWithTheOptionNamedAndNothingLeft() throws Exception {
        SandboxSpec base = node.pod("gv3", "bad");
        SandboxSpec hostPid = new SandboxSpec("gv3", base.name(), base.namespace(), base.uid(), 0, "bad", null,
                base.netnsPath(), new SandboxSpec.NamespaceMode(false, true, false), "", null, null, null, null, null,
                null, null);
        SandboxException e = assertThrows(SandboxException.class, () -> sandboxer.create(hostPid));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("host PID namespace"), e.getMessage());

        TaskService tasks = startPod("gv4", "bad");
        ObjectNode privileged = GvisorTestNode.spec("sleep", "10");
        ((ObjectNode) privileged.path("linux").path("resources").path("devices").get(0)).put("allow", true);
        e = assertThrows(SandboxException.class, () -> tasks.create(node.container("priv", privileged.toString())));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("privileged"), e.getMessage());

        tasks.create(node.container("missing", GvisorTestNode.spec("/no/such/program").toString()));
        e = assertThrows(SandboxException.class, () -> tasks.start("missing", null));
        assertTrue(e.getMessage().contains("runsc failed") && e.getMessage().contains("/no/such/program"),
                "runsc's own message: " + e.getMessage());
    }

    @Test
    void theHostsOomKillerEndingThePodsSandboxIsReportedAsOomKilled() throws Exception {
        SandboxSpec base = node.pod("gv5", "oom");
        SandboxSpec limited = new SandboxSpec("gv5", base.name(), base.namespace(), base.uid(), 0, "oom", null,
                base.netnsPath(), null, "", new Resources(0, 0, 0, "", "", 96L * 1024 * 1024, 0, 0, 0, null, null),
                null, null, null, null, null, null);
        sandboxer.create(limited);
        TaskService tasks = ((TaskEndpoint.InProcess) sandboxer.start("gv5").tasks()).service();
        List<TaskEvent> events = new CopyOnWriteArrayList<>();
        tasks.subscribe((sandbox, e) -> events.add(e));
        tasks.create(node.container("hog", GvisorTestNode.spec("sh", "-c",
                "dd if=/dev/zero of=/dev/null bs=300M count=1; echo survived").toString()));
        tasks.start("hog", null);
        ExitStatus exit = tasks.waitExit("hog", null).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals("OOMKilled", exit.reason(), exit.toString());
        assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.OutOfMemory o && o.containerId().equals("hog")),
                events.toString());
        for (int i = 0; i < 50 && sandboxer.status("gv5", false).state() != SandboxState.NOT_READY; i++) {
            Thread.sleep(100);
        }
        assertEquals(SandboxState.NOT_READY, sandboxer.status("gv5", false).state(), "the pod lost its kernel");
    }
}
