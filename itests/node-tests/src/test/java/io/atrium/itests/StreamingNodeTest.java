package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.AttachRequest;
import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatusRequest;
import io.atrium.cri.v1.ExecRequest;
import io.atrium.cri.v1.ExecSyncRequest;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PortForwardRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StopContainerRequest;
import io.atrium.engine.streaming.testing.ChannelStatus;
import io.atrium.engine.streaming.testing.RawHttp;
import io.atrium.engine.streaming.testing.SpdyTestClient;
import io.atrium.engine.streaming.testing.WebSocketTestClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CRI streaming on a real node: Exec, Attach and PortForward URLs from the CRI socket, served over
 * SPDY and WebSocket to clients that speak as client-go (kubectl, crictl) does, into runc
 * containers. Nothing is faked: real runc, real ptys, a real pod network namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String[] SPDY = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"};

    private CriTestNode testNode;
    private NodeProcess node;
    private PodSandboxConfig podConfig;
    private String podId;
    private String main;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    void start() throws Exception {
        testNode = CriTestNode.create(StreamingNodeTest.class, "atrium-streaming-it", "", 120);
        String image = testNode.pushBusybox(Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin")));
        node = testNode.start(Map.of());
        testNode.pull(image);
        podConfig = testNode.pod("streams", "it", "uid-streams")
                .setLogDirectory(testNode.logs.resolve("uid-streams").toString()).build();
        podId = testNode.runPod(podConfig);
        main = createAndStart(testNode.container("main", "sh", "-c", "busybox mkdir -p /tmp/www; "
                + "echo hello-from-pod > /tmp/www/index.html; busybox httpd -f -p 8080 -h /tmp/www & exec busybox sleep 100000"));
    }

    @AfterAll
    void stop() throws Exception {
        pool.shutdownNow();
        if (testNode != null) {
            testNode.close();
        }
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private String createAndStart(ContainerConfig.Builder config) {
        return testNode.createAndStart(podId, podConfig, config.build());
    }

    private URI exec(String container, boolean stdin, boolean stdout, boolean stderr, boolean tty, String... cmd) {
        return URI.create(rt().exec(ExecRequest.newBuilder().setContainerId(container).addAllCmd(List.of(cmd))
                .setStdin(stdin).setStdout(stdout).setStderr(stderr).setTty(tty).build()).getUrl());
    }

    private String processes(String container) {
        return rt().execSync(ExecSyncRequest.newBuilder().setContainerId(container)
                .addAllCmd(List.of("busybox", "ps", "-o", "pid,args")).setTimeout(20).build()).getStdout().toStringUtf8();
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void spdyExecWithoutTtyPassesStdinAndReturnsTheExitCode() throws Exception {
        URI url = exec(main, true, true, true, false, "sh", "-c", "read x; echo got $x; echo to-err >&2; exit 3");
        assertTrue(url.getHost().equals("127.0.0.1") && url.getPath().startsWith("/exec/"), url.toString());
        try (SpdyTestClient c = SpdyTestClient.connect(url, SPDY)) {
            assertEquals("v4.channel.k8s.io", c.protocol());
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdin = c.open("streamtype", "stdin");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            SpdyTestClient.Stream stderr = c.open("streamtype", "stderr");
            stdin.write("hello\n");
            stdin.finish();
            assertEquals("got hello\n", stdout.readAll(WAIT));
            assertEquals("to-err\n", stderr.readAll(WAIT));
            assertEquals(3, ChannelStatus.exitCode(error.readAll(WAIT)));
            assertTrue(c.awaitClosed(WAIT));
        }
        var again = assertThrows(IOException.class, () -> SpdyTestClient.connect(url, SPDY));
        assertTrue(again.getMessage().contains("404"), "a used token is refused: " + again.getMessage());
    }

    @Test
    void webSocketV5ExecWithoutTty() throws Exception {
        URI url = exec(main, true, true, false, false, "sh", "-c", "read x; echo got $x; exit 3");
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v5.channel.k8s.io", "v4.channel.k8s.io")) {
            assertEquals("v5.channel.k8s.io", c.protocol());
            c.send(0, "hello\n");
            c.closeChannel(0);
            assertTrue(c.awaitClosed(WAIT));
            assertEquals("got hello\n", c.text(1));
            assertEquals(3, ChannelStatus.exitCode(c.text(3)));
        }
    }

    private static final String TTY_LOOP = "while read x; do if [ \"$x\" = q ]; then exit 3; fi; busybox stty size; done";

    @Test
    void spdyExecWithTtySeesResizesAndExitsWithItsCode() throws Exception {
        URI url = exec(main, true, true, false, true, "sh", "-c", TTY_LOOP);
        try (SpdyTestClient c = SpdyTestClient.connect(url, SPDY)) {
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdin = c.open("streamtype", "stdin");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            SpdyTestClient.Stream resize = c.open("streamtype", "resize");
            resize.write("{\"Width\":77,\"Height\":33}");
            assertTrue(untilOutput(stdin::write, () -> stdout.readUntil("33 77", Duration.ofMillis(300)), "33 77")
                    .contains("33 77"));
            resize.write("{\"Width\":100,\"Height\":40}");
            assertTrue(untilOutput(stdin::write, () -> stdout.readUntil("40 100", Duration.ofMillis(300)), "40 100")
                    .contains("40 100"));
            stdin.write("q\n");
            assertEquals(3, ChannelStatus.exitCode(error.readAll(WAIT)));
            assertTrue(stdout.readAll(WAIT).contains("\r\n"), "a terminal turns newlines into CR LF");
        }
    }

    @Test
    void webSocketExecWithTtyResizes() throws Exception {
        URI url = exec(main, true, true, false, true, "sh", "-c", TTY_LOOP);
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v5.channel.k8s.io")) {
            c.send(4, "{\"Width\":55,\"Height\":22}");
            assertTrue(untilOutput(line -> c.send(0, line), () -> c.awaitText(1, "22 55", Duration.ofMillis(300)), "22 55")
                    .contains("22 55"));
            c.send(0, "q\n");
            assertTrue(c.awaitClosed(WAIT));
            assertEquals(3, ChannelStatus.exitCode(c.text(3)));
        }
    }

    private interface Send {
        void line(String s) throws IOException;
    }

    private interface Read {
        String get() throws Exception;
    }

    /** Sends empty lines until the output shows {@code expected} (the resize lands asynchronously). */
    private static String untilOutput(Send send, Read read, String expected) throws Exception {
        String seen = "";
        for (int i = 0; i < 60 && !seen.contains(expected); i++) {
            send.line("\n");
            seen = read.get();
        }
        return seen;
    }

    @Test
    void attachSeesTheContainersOutputAndFeedsItsStdin() throws Exception {
        String talker = createAndStart(testNode.container("talker", "sh", "-c",
                "while true; do echo tick; busybox sleep 1; done & while read x; do echo got $x; done").setStdin(true));
        for (int round = 0; round < 2; round++) {
            URI url = URI.create(rt().attach(AttachRequest.newBuilder().setContainerId(talker).setStdin(true)
                    .setStdout(true).setStderr(true).build()).getUrl());
            assertTrue(url.getPath().startsWith("/attach/"), url.toString());
            try (SpdyTestClient c = SpdyTestClient.connect(url, SPDY)) {
                c.open("streamtype", "error");
                SpdyTestClient.Stream stdin = c.open("streamtype", "stdin");
                SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
                c.open("streamtype", "stderr");
                assertTrue(stdout.readUntil("tick", WAIT).contains("tick"), "a line per second arrives");
                stdin.write("hi" + round + "\n");
                assertTrue(stdout.readUntil("got hi" + round, WAIT).contains("got hi" + round));
            }
        }
        assertEquals(ContainerState.CONTAINER_RUNNING, rt().containerStatus(ContainerStatusRequest.newBuilder()
                .setContainerId(talker).build()).getStatus().getState(), "detaching leaves the container running");
        Path log = testNode.logs.resolve("uid-streams/talker/0.log");
        String text = CriTestNode.awaitLog(log, "got hi1");
        assertTrue(text.contains("stdout F got hi0") && text.contains("stdout F tick"), "the log keeps everything: " + text);
    }

    @Test
    void webSocketAttachEndsWithSuccessWhenTheContainerExits() throws Exception {
        String once = createAndStart(testNode.container("once", "sh", "-c", "read x; echo bye $x")
                .setStdin(true).setStdinOnce(true));
        URI url = URI.create(rt().attach(AttachRequest.newBuilder().setContainerId(once).setStdin(true)
                .setStdout(true).build()).getUrl());
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v4.channel.k8s.io")) {
            c.send(0, "now\n");
            assertTrue(c.awaitClosed(WAIT), "the attach ends when the container exits");
            assertEquals("bye now\n", c.text(1));
            assertEquals(0, ChannelStatus.exitCode(c.text(3)), "attach reports Success, whatever the container's code");
        }
        ContainerState state = null;
        for (int i = 0; i < 100 && state != ContainerState.CONTAINER_EXITED; i++) { // the engine records exits from events
            state = rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(once).build()).getStatus().getState();
            Thread.sleep(state == ContainerState.CONTAINER_EXITED ? 0 : 100);
        }
        assertEquals(ContainerState.CONTAINER_EXITED, state);
    }

    private static final String HTTP_GET = "GET /index.html HTTP/1.0\r\n\r\n";

    @Test
    void spdyPortForwardReachesTheServerInThePodWithTwoConnections() throws Exception {
        URI url = URI.create(rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).build()).getUrl());
        try (SpdyTestClient c = SpdyTestClient.connect(url, "portforward.k8s.io")) {
            List<SpdyTestClient.Stream> data = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                SpdyTestClient.Stream error = c.open("streamtype", "error", "port", "8080", "requestid", Integer.toString(i));
                error.finish();
                data.add(c.open("streamtype", "data", "port", "8080", "requestid", Integer.toString(i)));
            }
            String first = "";
            for (int attempt = 0; attempt < 50 && !first.contains("hello-from-pod"); attempt++) {
                // httpd may still be starting: each attempt is a fresh forwarded connection
                if (attempt > 0) {
                    Thread.sleep(200);
                    c.open("streamtype", "error", "port", "8080", "requestid", "r" + attempt).finish();
                    data.set(0, c.open("streamtype", "data", "port", "8080", "requestid", "r" + attempt));
                }
                data.get(0).write(HTTP_GET);
                first = data.get(0).readAll(WAIT);
            }
            assertTrue(first.startsWith("HTTP/1.") && first.contains("hello-from-pod"), first);
            data.get(1).write(HTTP_GET);
            String second = data.get(1).readAll(WAIT);
            assertTrue(second.contains("hello-from-pod"), "the second connection, open all along: " + second);
        }
    }

    @Test
    void webSocketPortForwardWithThePortsOfTheRequest() throws Exception {
        URI url = URI.create(rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(8080)
                .build()).getUrl());
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v4.channel.k8s.io")) {
            c.awaitBytes(1, 2, WAIT);
            c.send(0, HTTP_GET);
            c.awaitText(0, "hello-from-pod", WAIT);
            String reply = new String(c.bytes(0), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertEquals((char) (8080 & 0xff) + "" + (char) (8080 >> 8), reply.substring(0, 2), "the port prefix");
            assertTrue(reply.contains("hello-from-pod"), reply);
        }
    }

    @Test
    void fiftyConcurrentExecsEndWithTheirCodesAndLeaveNothingBehind() throws Exception {
        long fdsBefore = nodeFds();
        long t0 = System.nanoTime();
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int code = i % 5 + 1;
            URI url = exec(main, false, true, true, false, "sh", "-c", "echo run" + code + "; exit " + code);
            results.add(pool.submit(() -> {
                try (SpdyTestClient c = SpdyTestClient.connect(url, SPDY)) {
                    SpdyTestClient.Stream error = c.open("streamtype", "error");
                    SpdyTestClient.Stream out = c.open("streamtype", "stdout");
                    c.open("streamtype", "stderr");
                    assertEquals("run" + code + "\n", out.readAll(Duration.ofSeconds(120)));
                    return ChannelStatus.exitCode(error.readAll(Duration.ofSeconds(120)));
                }
            }));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i % 5 + 1, results.get(i).get(180, TimeUnit.SECONDS), "exec " + i);
        }
        System.out.println("streaming: 50 concurrent SPDY execs (URL, connect, runc exec, status) took "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        String ps = processes(main);
        assertFalse(ps.contains("exit "), "no exec'd shell is left: " + ps);
        long fdsAfter = -1;
        for (int i = 0; i < 50; i++) {
            fdsAfter = nodeFds();
            if (fdsAfter <= fdsBefore + 10) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(fdsAfter <= fdsBefore + 10, "node fds before " + fdsBefore + ", after " + fdsAfter);
    }

    @Test
    void aClientThatLeavesGetsItsProcessKilled() throws Exception {
        URI url = exec(main, true, true, false, false, "busybox", "sleep", "4242");
        try (SpdyTestClient c = SpdyTestClient.connect(url, SPDY)) {
            c.open("streamtype", "error");
            c.open("streamtype", "stdin");
            c.open("streamtype", "stdout").awaitReply(WAIT);
            String ps = "";
            for (int i = 0; i < 50 && !ps.contains("sleep 4242"); i++) {
                Thread.sleep(100);
                ps = processes(main);
            }
            assertTrue(ps.contains("sleep 4242"), ps);
        }
        String ps = processes(main);
        for (int i = 0; i < 100 && ps.contains("sleep 4242"); i++) {
            Thread.sleep(100);
            ps = processes(main);
        }
        assertFalse(ps.contains("sleep 4242"), "the exec died with its client: " + ps);
    }

    @Test
    void aClientThatNeverReadsDoesNotGrowTheNode() throws Exception {
        long rssBefore = nodeRssKb();
        URI url = exec(main, false, true, false, false, "busybox", "cat", "/dev/zero");
        try (SpdyTestClient c = SpdyTestClient.connect(url, false, SPDY)) {
            c.open("streamtype", "error");
            c.open("streamtype", "stdout");
            Thread.sleep(3000); // cat would write gigabytes meanwhile if nothing held it back
            assertTrue(processes(main).contains("cat /dev/zero"), "cat is blocked, not finished");
            long rssAfter = nodeRssKb();
            System.out.println("streaming: node RSS " + rssBefore + " KiB before, " + rssAfter
                    + " KiB after 3 s of a client that never reads `cat /dev/zero`");
            assertTrue(rssAfter - rssBefore < 200 * 1024, "node RSS grew from " + rssBefore + " to " + rssAfter + " KiB");
            URI other = exec(main, false, true, false, false, "busybox", "echo", "still-serving");
            try (SpdyTestClient d = SpdyTestClient.connect(other, SPDY)) {
                d.open("streamtype", "error");
                assertEquals("still-serving\n", d.open("streamtype", "stdout").readAll(WAIT));
            }
        }
        String ps = processes(main);
        for (int i = 0; i < 100 && ps.contains("cat /dev/zero"); i++) {
            Thread.sleep(100);
            ps = processes(main);
        }
        assertFalse(ps.contains("cat /dev/zero"), ps);
    }

    @Test
    void badRequestsAreRefusedAtTheRpcOrTheServer() throws Exception {
        assertEquals(Status.Code.NOT_FOUND, code(() -> exec("no-such-container", false, true, false, false, "true")));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> exec(main, false, true, true, true, "true")));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> exec(main, false, true, false, false)));
        assertEquals(Status.Code.NOT_FOUND, code(() -> rt().portForward(PortForwardRequest.newBuilder()
                .setPodSandboxId("no-such-pod").build())));
        String stopped = createAndStart(testNode.container("short", "busybox", "true"));
        for (int i = 0; i < 100 && rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(stopped).build())
                .getStatus().getState() != ContainerState.CONTAINER_EXITED; i++) {
            Thread.sleep(100);
        }
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> exec(stopped, false, true, false, false, "true")));
        assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> rt().attach(AttachRequest.newBuilder()
                .setContainerId(stopped).setStdout(true).build())));

        URI url = exec(main, false, true, false, false, "true");
        RawHttp.Response unsupported = RawHttp.get(url, "Connection", "Upgrade", "Upgrade", "SPDY/3.1",
                "X-Stream-Protocol-Version", "v99.channel.k8s.io");
        assertEquals(403, unsupported.status());
        assertEquals(404, RawHttp.get(URI.create(url.toString().replaceAll("/exec/.*", "/exec/bogus"))).status());

        try (SpdyTestClient c = SpdyTestClient.connect(exec(main, false, true, false, false, "busybox", "sleep", "4343"), SPDY)) {
            c.sendRaw(new byte[] {(byte) 0x80, 3, 0, 9, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1}); // unknown type, absurd length
            assertTrue(c.awaitClosed(WAIT), "a malformed frame ends that connection");
        }
        URI after = exec(main, false, true, false, false, "busybox", "echo", "up");
        try (WebSocketTestClient c = WebSocketTestClient.connect(after, "v4.channel.k8s.io")) {
            assertTrue(c.awaitClosed(WAIT));
            assertEquals("up\n", c.text(1), "the server still serves");
        }
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(stopped).setTimeout(1).build());
    }

    /** The node JVM: the launcher script's java descendant, or the process itself. */
    private ProcessHandle nodeJvm() {
        ProcessHandle p = node.process().toHandle();
        return p.info().command().orElse("").endsWith("java") ? p
                : p.descendants().filter(d -> d.info().command().orElse("").endsWith("java")).findFirst().orElse(p);
    }

    private long nodeFds() throws IOException {
        try (var s = Files.list(Path.of("/proc", Long.toString(nodeJvm().pid()), "fd"))) {
            return s.count();
        }
    }

    private long nodeRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(nodeJvm().pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
