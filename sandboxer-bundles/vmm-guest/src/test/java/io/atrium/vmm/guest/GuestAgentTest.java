package io.atrium.vmm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.atrium.containerd.task.v2.CheckpointTaskRequest;
import io.atrium.containerd.task.v2.CloseIORequest;
import io.atrium.containerd.task.v2.ConnectRequest;
import io.atrium.containerd.task.v2.ConnectResponse;
import io.atrium.containerd.task.v2.CreateTaskRequest;
import io.atrium.containerd.task.v2.CreateTaskResponse;
import io.atrium.containerd.task.v2.DeleteRequest;
import io.atrium.containerd.task.v2.DeleteResponse;
import io.atrium.containerd.task.v2.ExecProcessRequest;
import io.atrium.containerd.task.v2.KillRequest;
import io.atrium.containerd.task.v2.PauseRequest;
import io.atrium.containerd.task.v2.PidsRequest;
import io.atrium.containerd.task.v2.PidsResponse;
import io.atrium.containerd.task.v2.ResizePtyRequest;
import io.atrium.containerd.task.v2.ResumeRequest;
import io.atrium.containerd.task.v2.ShutdownRequest;
import io.atrium.containerd.task.v2.StartRequest;
import io.atrium.containerd.task.v2.StartResponse;
import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.containerd.task.v2.StatsRequest;
import io.atrium.containerd.task.v2.StatsResponse;
import io.atrium.containerd.task.v2.UpdateTaskRequest;
import io.atrium.containerd.task.v2.WaitRequest;
import io.atrium.containerd.task.v2.WaitResponse;
import io.atrium.containerd.types.Mount;
import io.atrium.containerd.types.task.Status;
import io.atrium.ttrpc.proto.Request;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The guest agent in a real VM: QEMU with TCG boots the built kernel and initramfs, and the tests speak ttrpc and
 * the stdio multiplex over the virtio-serial sockets exactly as the vmm sandboxer does. One VM serves all tests
 * (a boot costs seconds under emulation); the last test shuts it down through the agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestAgentTest {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    private static Path work;
    private static GuestVm vm;

    @BeforeAll
    static void boot() throws Exception {
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)");
        assumeTrue(onPath("mke2fs"), "mke2fs is not installed (Debian package e2fsprogs)");
        assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "/bin/busybox is missing (Debian package busybox-static)");
        assumeTrue(Files.isRegularFile(GuestVm.guestDir().resolve("vmlinuz")), "guest not built at " + GuestVm.guestDir());
        work = Files.createTempDirectory("atrium-guest-test");
        Map<String, Path> disks = new LinkedHashMap<>();
        for (String serial : List.of("disk-one", "disk-two", "disk-three", "disk-four"))
            disks.put(serial, RootfsImage.build(work, serial));
        vm = GuestVm.boot(work, "atrium.hostname=guest-pod atrium.debug=1", disks);
        vm.awaitReady(BOOT_TIMEOUT);
        System.out.println("boot to first ttrpc answer under TCG: " + vm.readyMillis + " ms");
    }

    @AfterAll
    static void teardown() throws Exception {
        try {
            if (vm != null) {
                System.out.println("---- guest console ----\n" + vm.consoleLog());
                vm.close();
            }
        } finally {
            if (work != null) try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void answersStateForUnknownContainerWithNotFound() throws Exception {
        var r = vm.agent.call("State", StateRequest.newBuilder().setId("nothing-here").build());
        assertEquals(5, r.code(), r.message());
        assertTrue(r.message().contains("nothing-here"), r.message());
        assertTrue(vm.readyMillis > 0);
        ConnectResponse c = vm.agent.call("Connect", ConnectRequest.newBuilder().build()).as(ConnectResponse.parser());
        assertEquals(1, c.getShimPid());
    }

    @Test
    @Order(2)
    void containerPrintsOverStdioAndReportsItsExitCode() throws Exception {
        String script = "echo hello from $(cat /proc/sys/kernel/hostname) as pid $$ in $(pwd); cat /etc/motd; echo oops >&2; exit 3";
        create("one", "disk-one", false, true, List.of("sh", "-c", script));
        StateResponse created = state("one");
        assertEquals(Status.CREATED, created.getStatus());
        StartResponse started = vm.agent.call("Start", StartRequest.newBuilder().setId("one").build()).as(StartResponse.parser());
        assertEquals(created.getPid(), started.getPid());

        WaitResponse w = vm.agent.call("Wait", WaitRequest.newBuilder().setId("one").build()).as(WaitResponse.parser());
        assertEquals(3, w.getExitStatus());
        assertTrue(w.getExitedAt().getSeconds() > 1_600_000_000L, "exited_at is wall-clock time");
        assertEquals("hello from guest-pod as pid 1 in /tmp\nrootfs disk-one\n", vm.stdio.awaitClosed("one", 1, Duration.ofSeconds(10)));
        assertEquals("oops\n", vm.stdio.awaitClosed("one", 2, Duration.ofSeconds(10)));

        StateResponse stopped = state("one");
        assertEquals(Status.STOPPED, stopped.getStatus());
        assertEquals(3, stopped.getExitStatus());
        assertEquals("atrium-stdio:one", stopped.getStdout());

        DeleteResponse d = vm.agent.call("Delete", DeleteRequest.newBuilder().setId("one").build()).as(DeleteResponse.parser());
        assertEquals(3, d.getExitStatus());
        assertEquals(5, vm.agent.call("State", StateRequest.newBuilder().setId("one").build()).code());
    }

    @Test
    @Order(3)
    void waitIsAnsweredWhenTheProcessExitsWhileOtherCallsAreServed() throws Exception {
        create("two", "disk-two", false, false, List.of("sleep", "600"));
        start("two", "");
        CompletableFuture<TtrpcTestClient.Reply> waiting = vm.agent.callAsync("Wait", WaitRequest.newBuilder().setId("two").build());

        // exec: joins the container's pid and mount namespaces, sees its init as pid 1
        exec("two", "e1", false, List.of("sh", "-c", "echo exec sees $(cat /proc/1/cmdline | tr '\\0' ' ')in $(cat /etc/motd); exit 7"));
        assertEquals(Status.CREATED, state("two", "e1").getStatus());
        start("two", "e1");
        WaitResponse ew = vm.agent.call("Wait", WaitRequest.newBuilder().setId("two").setExecId("e1").build()).as(WaitResponse.parser());
        assertEquals(7, ew.getExitStatus());
        assertEquals("exec sees sleep 600 in rootfs disk-two\n", vm.stdio.awaitClosed("two/e1", 1, Duration.ofSeconds(10)));
        assertEquals(7, vm.agent.call("Delete", DeleteRequest.newBuilder().setId("two").setExecId("e1").build())
                .as(DeleteResponse.parser()).getExitStatus());

        // Update and Stats act on the container's cgroup in the guest
        assertEquals(0, vm.agent.call("Update", UpdateTaskRequest.newBuilder().setId("two")
                .setResources(Any.newBuilder().setTypeUrl("io.atrium/linux-resources").setValue(ByteString.copyFromUtf8(
                        "{\"memoryLimitBytes\":134217728,\"pidsLimit\":50,\"cpuShares\":0,\"unified\":{\"memory.high\":\"125829120\"}}")))
                .build()).code());
        exec("two", "e2", false, List.of("cat", "/sys/fs/cgroup/two/memory.max", "/sys/fs/cgroup/two/pids.max", "/sys/fs/cgroup/two/memory.high"));
        start("two", "e2");
        assertEquals("134217728\n50\n125829120\n", vm.stdio.awaitClosed("two/e2", 1, Duration.ofSeconds(10)));
        vm.agent.call("Wait", WaitRequest.newBuilder().setId("two").setExecId("e2").build()).as(WaitResponse.parser());
        StatsResponse stats = vm.agent.call("Stats", StatsRequest.newBuilder().setId("two").build()).as(StatsResponse.parser());
        assertEquals("io.atrium/container-stats", stats.getStats().getTypeUrl());
        String json = stats.getStats().getValue().toStringUtf8();
        assertTrue(json.matches(".*\"pids\":1[,}].*"), json);
        assertTrue(json.matches(".*\"memory_usage_bytes\":[1-9][0-9]*.*"), json);
        assertTrue(json.matches(".*\"cpu_usage_nanos\":[1-9][0-9]*.*"), json);

        PidsResponse pids = vm.agent.call("Pids", PidsRequest.newBuilder().setId("two").build()).as(PidsResponse.parser());
        assertEquals(List.of(state("two").getPid()), pids.getProcessesList().stream().map(p -> p.getPid()).collect(Collectors.toList()));
        assertFalse(waiting.isDone(), "Wait must not answer while the container runs");

        // a running container cannot be deleted
        assertEquals(9, vm.agent.call("Delete", DeleteRequest.newBuilder().setId("two").build()).code());

        // pause freezes the cgroup; no exec into a frozen container
        assertEquals(0, vm.agent.call("Pause", PauseRequest.newBuilder().setId("two").build()).code());
        assertEquals(Status.PAUSED, state("two").getStatus());
        assertEquals(9, vm.agent.call("Exec", ExecProcessRequest.newBuilder().setId("two").setExecId("e3")
                .setSpec(Any.newBuilder().setValue(ByteString.copyFromUtf8("{\"args\":[\"true\"]}"))).build()).code());
        assertEquals(0, vm.agent.call("Resume", ResumeRequest.newBuilder().setId("two").build()).code());
        assertEquals(Status.RUNNING, state("two").getStatus());

        assertEquals(0, vm.agent.call("Kill", KillRequest.newBuilder().setId("two").setSignal(9).setAll(true).build()).code());
        WaitResponse w = waiting.get(30, TimeUnit.SECONDS).as(WaitResponse.parser());
        assertEquals(137, w.getExitStatus());
        assertEquals(5, vm.agent.call("Kill", KillRequest.newBuilder().setId("two").setSignal(15).build()).code(),
                "killing a finished process is NOT_FOUND");
        assertEquals(137, vm.agent.call("Delete", DeleteRequest.newBuilder().setId("two").build()).as(DeleteResponse.parser()).getExitStatus());
    }

    @Test
    @Order(4)
    void stdinReachesTheProcessAndTerminalsWork() throws Exception {
        createWithStdin("three", "disk-three", false, List.of("sh", "-c", "read line; echo got:$line; cat; echo done"));
        start("three", "");
        vm.stdio.stdin("three", "first line\nrest of input\n");
        vm.stdio.closeStdin("three");
        assertEquals(0, vm.agent.call("Wait", WaitRequest.newBuilder().setId("three").build()).as(WaitResponse.parser()).getExitStatus());
        assertEquals("got:first line\nrest of input\ndone\n", vm.stdio.awaitClosed("three", 1, Duration.ofSeconds(10)));
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("three").build()).as(DeleteResponse.parser());

        createWithStdin("four", "disk-four", true, List.of("sh"));
        start("four", "");
        assertEquals(0, vm.agent.call("ResizePty", ResizePtyRequest.newBuilder().setId("four").setWidth(123).setHeight(45).build()).code());
        vm.stdio.stdin("four", "stty size; tty; exit 4\n");
        assertEquals(4, vm.agent.call("Wait", WaitRequest.newBuilder().setId("four").build()).as(WaitResponse.parser()).getExitStatus());
        String out = vm.stdio.awaitClosed("four", 1, Duration.ofSeconds(10));
        assertTrue(out.contains("45 123"), out);
        assertTrue(out.contains("/dev/pts/"), out);
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("four").build()).as(DeleteResponse.parser());

        // 2.5 MiB of output, split over many multiplex frames: nothing lost, order kept
        create("big", "disk-four", false, false, List.of("sh", "-c",
                "dd if=/dev/zero bs=65536 count=40 2>/dev/null | tr '\\0' x; echo; echo end"));
        start("big", "");
        assertEquals(0, vm.agent.call("Wait", WaitRequest.newBuilder().setId("big").build()).as(WaitResponse.parser()).getExitStatus());
        String big = vm.stdio.awaitClosed("big", 1, Duration.ofSeconds(30));
        assertEquals("x".repeat(65536 * 40) + "\nend\n", big);
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("big").build()).as(DeleteResponse.parser());
    }

    @Test
    @Order(5)
    void hotPluggedDiskIsFoundBySerial() throws Exception {
        vm.hotplugDisk("hot-five", RootfsImage.build(work, "hot-five"));
        create("five", "hot-five", false, false, List.of("sh", "-c", "cat /etc/motd; cat /sys/fs/cgroup/five/memory.max"));
        start("five", "");
        assertEquals(0, vm.agent.call("Wait", WaitRequest.newBuilder().setId("five").build()).as(WaitResponse.parser()).getExitStatus());
        // the spec's memory limit (64 MiB) is the container cgroup's memory.max
        assertEquals("rootfs hot-five\n67108864\n", vm.stdio.awaitClosed("five", 1, Duration.ofSeconds(10)));
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("five").build()).as(DeleteResponse.parser());
    }

    @Test
    @Order(6)
    void memoryLimitOomKillsTheContainerAndStatsCountIt() throws Exception {
        // a 16 MiB memory limit; dd fills a 64 MiB buffer in one read
        vm.agent.call("Create", createRequest("oom", "disk-one", false, "",
                specJson(List.of("dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"), false).replace("67108864", "16777216")))
                .as(CreateTaskResponse.parser());
        start("oom", "");
        WaitResponse w = vm.agent.call("Wait", WaitRequest.newBuilder().setId("oom").build(), Duration.ofSeconds(120))
                .as(WaitResponse.parser());
        assertTrue(w.getExitStatus() == 137 || w.getExitStatus() == 141, "exit " + w.getExitStatus());
        String json = vm.agent.call("Stats", StatsRequest.newBuilder().setId("oom").build()).as(StatsResponse.parser())
                .getStats().getValue().toStringUtf8();
        assertTrue(json.matches(".*\"oom_kills\":[1-9].*"), json);
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("oom").build()).as(DeleteResponse.parser());
    }

    @Test
    @Order(7)
    void badRequestsGetClearStatusesAndChangeNothing() throws Exception {
        // unknown method, unknown service, unsupported method
        var r = vm.agent.call("Frobnicate", StateRequest.newBuilder().setId("x").build());
        assertEquals(12, r.code());
        assertTrue(r.message().contains("Frobnicate"), r.message());
        assertEquals(12, vm.agent.call("Checkpoint", CheckpointTaskRequest.newBuilder().setId("x").build()).code());
        byte[] otherService = Request.newBuilder().setService("grpc.health.v1.Health").setMethod("Check").build().toByteArray();
        assertEquals(12, vm.agent.callRaw(otherService).get(10, TimeUnit.SECONDS).code());

        // not a protobuf message at all
        assertEquals(3, vm.agent.callRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}).get(10, TimeUnit.SECONDS).code());

        // spec that is not JSON, missing rootfs, unsupported stdio endpoint, bad id
        assertEquals(3, vm.agent.call("Create", createRequest("bad", "disk-one", false, "", "{not json")).code());
        assertEquals(3, vm.agent.call("Create", createRequest("bad", "disk-one", false, "", specJson(List.of("true"), false))
                .toBuilder().clearRootfs().build()).code());
        assertEquals(3, vm.agent.call("Create", createRequest("bad", "disk-one", false, "", specJson(List.of("true"), false))
                .toBuilder().setStdout("/var/log/x.log").build()).code());
        assertEquals(3, vm.agent.call("Create", createRequest("../etc", "disk-one", false, "", specJson(List.of("true"), false))).code());

        // a program that does not exist: Create succeeds (like runc), Start fails with the reason
        create("missing", "disk-one", false, false, List.of("/bin/no-such-program"));
        assertEquals(3, vm.agent.call("Update", UpdateTaskRequest.newBuilder().setId("missing")
                .setResources(Any.newBuilder().setTypeUrl("io.atrium/linux-resources").setValue(ByteString.copyFromUtf8(
                        "{\"unified\":{\"../../escape\":\"1\"}}"))).build()).code(), "unified keys must name cgroup files");
        assertEquals(3, vm.agent.call("Update", UpdateTaskRequest.newBuilder().setId("missing")
                .setResources(Any.newBuilder().setTypeUrl("something/else")).build()).code());
        var start = vm.agent.call("Start", StartRequest.newBuilder().setId("missing").build());
        assertEquals(9, start.code());
        assertTrue(start.message().contains("no-such-program"), start.message());
        assertEquals(0, vm.agent.call("Delete", DeleteRequest.newBuilder().setId("missing").build()).code());
        assertEquals(5, vm.agent.call("Start", StartRequest.newBuilder().setId("missing").build()).code());
    }

    @Test
    @Order(8)
    void aNewHostReconnectsAndFindsTheRunningContainer() throws Exception {
        // what a sandboxer bundle update or node restart does: both sockets closed, opened again later
        create("re", "disk-three", false, false, List.of("sh", "-c", "sleep 3; echo after-reconnect; exit 6"));
        start("re", "");
        int pid = state("re").getPid();
        vm.agent.callAsync("Wait", WaitRequest.newBuilder().setId("re").build()); // dropped with the old host
        vm.agent.close();
        vm.stdio.close();
        Thread.sleep(300);
        vm.stdio = new StdioMux(vm.dir.resolve("stdio.sock"));
        vm.agent = reconnect();
        StateResponse st = state("re");
        assertEquals(pid, st.getPid());
        WaitResponse w = vm.agent.call("Wait", WaitRequest.newBuilder().setId("re").build()).as(WaitResponse.parser());
        assertEquals(6, w.getExitStatus());
        assertEquals("after-reconnect\n", vm.stdio.awaitClosed("re", 1, Duration.ofSeconds(10)));
        vm.agent.call("Delete", DeleteRequest.newBuilder().setId("re").build()).as(DeleteResponse.parser());
    }

    @Test
    @Order(9)
    void malformedFramesDoNotKillTheAgent() throws Exception {
        // unknown frame type: skipped whole
        vm.agent.writeFrame(101, 9, new byte[] {1, 2, 3, 4});
        assertEquals(5, vm.agent.call("State", StateRequest.newBuilder().setId("after-unknown-type").build()).code());

        // a length beyond 4 MiB cannot be re-framed: the agent drops input until the line is quiet
        vm.agent.writeRaw(ByteBuffer.wrap(new byte[] {0x7f, 0, 0, 0, 0, 0, 0, 103, 1, 0, 'j', 'u', 'n', 'k'}));
        Thread.sleep(600);
        assertEquals(5, vm.agent.call("State", StateRequest.newBuilder().setId("after-oversized").build()).code());

        // truncated frame, then the host reconnects: the next connection starts clean
        vm.agent.writeRaw(ByteBuffer.wrap(new byte[] {0, 0, 0, 50, 0, 0, 0, 105, 1, 0, 1, 2}));
        vm.agent.close();
        vm.agent = reconnect();
        assertEquals(5, vm.agent.call("State", StateRequest.newBuilder().setId("after-reconnect").build()).code());
        assertTrue(vm.qemu.isAlive());
    }

    @Test
    @Order(10)
    void shutdownPowersTheVmOff() throws Exception {
        assertEquals(0, vm.agent.call("Shutdown", ShutdownRequest.newBuilder().build()).code());
        assertTrue(vm.qemu.waitFor(60, TimeUnit.SECONDS), "QEMU still running after Shutdown");
        assertEquals(0, vm.qemu.exitValue());
        assertTrue(vm.consoleLog().contains("power off"), vm.consoleLog());
    }

    // ---------------------------------------------------------------- helpers

    private static TtrpcTestClient reconnect() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            TtrpcTestClient c = new TtrpcTestClient(vm.dir.resolve("agent.sock"));
            try {
                c.call("State", StateRequest.newBuilder().setId("probe").build(), Duration.ofMillis(300));
                return c;
            } catch (java.util.concurrent.TimeoutException e) {
                // the guest has not seen the new connection yet; requests sent before that are dropped
                c.close();
                if (System.nanoTime() > end) throw new AssertionError("agent did not answer after reconnect\n" + vm.consoleLog());
            }
        }
    }

    private static String specJson(List<String> args, boolean terminal) {
        String argv = args.stream().map(GuestAgentTest::quote).collect(Collectors.joining(","));
        return """
            {"ociVersion":"1.1.0","process":{"terminal":%s,"user":{"uid":0,"gid":0},"args":[%s],
             "env":["PATH=/bin:/usr/bin","TERM=xterm"],"cwd":"/tmp"},
             "root":{"path":"rootfs"},"hostname":"ignored-in-vm",
             "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
              {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
              {"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620","gid=5"]},
              {"destination":"/dev/mqueue","type":"mqueue","source":"mqueue","options":["nosuid","noexec","nodev"]},
              {"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},
              {"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]},
              {"destination":"/etc/hosts","type":"bind","source":"/var/lib/atrium/pods/x/hosts","options":["rbind","ro"]}],
             "linux":{"resources":{"memory":{"limit":67108864},"cpu":{"shares":512}},
              "namespaces":[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]}}
            """.formatted(terminal, argv);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static CreateTaskRequest createRequest(String id, String disk, boolean terminal, String stdin, String json) {
        return CreateTaskRequest.newBuilder().setId(id).setBundle("/run/atrium/" + id).setTerminal(terminal)
                .addRootfs(Mount.newBuilder().setType("ext4").setSource("serial:" + disk).build())
                .setStdin(stdin).setStdout("atrium-stdio:" + id).setStderr(terminal ? "" : "atrium-stdio:" + id)
                .setOptions(Any.newBuilder().setTypeUrl("io.atrium/oci-spec").setValue(ByteString.copyFromUtf8(json)))
                .build();
    }

    private static void create(String id, String disk, boolean terminal, boolean expectPid, List<String> args) throws Exception {
        CreateTaskResponse r = vm.agent.call("Create", createRequest(id, disk, terminal, "", specJson(args, terminal)))
                .as(CreateTaskResponse.parser());
        assertTrue(r.getPid() > 1, "pid of the created process");
    }

    private static void createWithStdin(String id, String disk, boolean terminal, List<String> args) throws Exception {
        vm.agent.call("Create", createRequest(id, disk, terminal, "atrium-stdio:" + id, specJson(args, terminal)))
                .as(CreateTaskResponse.parser());
    }

    private static void start(String id, String execId) throws Exception {
        vm.agent.call("Start", StartRequest.newBuilder().setId(id).setExecId(execId).build()).as(StartResponse.parser());
    }

    private static void exec(String id, String execId, boolean terminal, List<String> args) throws Exception {
        String process = """
            {"terminal":%s,"args":[%s],"env":["PATH=/bin"],"cwd":"/"}
            """.formatted(terminal, args.stream().map(GuestAgentTest::quote).collect(Collectors.joining(",")));
        var r = vm.agent.call("Exec", ExecProcessRequest.newBuilder().setId(id).setExecId(execId).setTerminal(terminal)
                .setStdout("atrium-stdio:" + id + "/" + execId).setStderr("atrium-stdio:" + id + "/" + execId)
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFrom(process, StandardCharsets.UTF_8)))
                .build());
        assertEquals(0, r.code(), r.message());
    }

    private static StateResponse state(String id) throws Exception {
        return state(id, "");
    }

    private static StateResponse state(String id, String execId) throws Exception {
        return vm.agent.call("State", StateRequest.newBuilder().setId(id).setExecId(execId).build()).as(StateResponse.parser());
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    @SuppressWarnings("unused")
    private static void closeStdin(String id) throws IOException, Exception {
        vm.agent.call("CloseIO", CloseIORequest.newBuilder().setId(id).setStdin(true).build());
    }
}
