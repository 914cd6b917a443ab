package io.atrium.engine.streaming.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.engine.streaming.StreamOptions;
import io.atrium.engine.streaming.testing.ChannelStatus;
import io.atrium.engine.streaming.testing.RawHttp;
import io.atrium.engine.streaming.testing.SpdyTestClient;
import io.atrium.engine.streaming.testing.WebSocketTestClient;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.Sandboxer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The streaming server over real loopback sockets with the test clients that speak SPDY and
 * WebSocket as client-go does. Execs are real host processes (see {@link HostProcessTasks}); the
 * container path (runc, ttys, attach, a pod's netns) is covered by the node test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingServerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String[] ALL_SPDY = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"};

    private StreamingComponent.StreamingCore server;
    private HostProcessTasks tasks;
    private Path state;
    private ServerSocket echo;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    void start() throws IOException {
        state = Files.createTempDirectory("streaming-test");
        server = new StreamingComponent.StreamingCore(StreamingSettings.from(k -> null), state);
        tasks = new HostProcessTasks();
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    pool.execute(() -> echo(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) >= 0) {
                out.write(b, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // client gone
        }
    }

    @AfterAll
    void stop() throws IOException {
        server.close();
        echo.close();
        pool.shutdownNow();
    }

    private URI exec(StreamOptions o, String... cmd) throws IOException {
        String spec = new ObjectMapper().createObjectNode().set("args", new ObjectMapper().valueToTree(List.of(cmd))).toString();
        return URI.create(server.exec(new ExecTarget(tasks, "c1", spec, o)));
    }

    private static StreamOptions streams(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
        return new StreamOptions(stdin, stdout, stderr, tty);
    }

    @Test
    void spdyV4ExecPassesStdinAndReportsTheExitCode() throws Exception {
        URI url = exec(streams(true, true, true, false), "sh", "-c", "read x; echo got $x; echo oops >&2; exit 3");
        assertTrue(url.toString().matches("http://127\\.0\\.0\\.1:\\d+/exec/[A-Za-z0-9_-]{22}"), url.toString());
        try (SpdyTestClient c = SpdyTestClient.connect(url, ALL_SPDY)) {
            assertEquals("v4.channel.k8s.io", c.protocol());
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdin = c.open("streamtype", "stdin");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            SpdyTestClient.Stream stderr = c.open("streamtype", "stderr");
            assertTrue(stderr.awaitReply(WAIT), "every stream is answered with SYN_REPLY");
            stdin.write("hello\n");
            stdin.finish();
            assertEquals("got hello\n", stdout.readAll(WAIT));
            assertEquals("oops\n", stderr.readAll(WAIT));
            String status = error.readAll(WAIT);
            assertEquals(3, ChannelStatus.exitCode(status), status);
            JsonNode json = new ObjectMapper().readTree(status);
            assertEquals("Failure", json.path("status").asText());
            assertEquals("NonZeroExitCode", json.path("reason").asText());
            assertTrue(c.awaitClosed(WAIT), "the server closes the connection after the status");
        }
        assertTrue(tasks.execs.isEmpty(), "the exec was deleted");
    }

    @Test
    void spdyOlderProtocolsWriteOnlyTheFailureMessage() throws Exception {
        URI url = exec(streams(false, true, false, false), "sh", "-c", "echo hi; exit 4");
        try (SpdyTestClient c = SpdyTestClient.connect(url, "v2.channel.k8s.io")) {
            assertEquals("v2.channel.k8s.io", c.protocol());
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            assertEquals("hi\n", stdout.readAll(WAIT));
            String message = error.readAll(WAIT);
            assertTrue(message.startsWith("command terminated with non-zero exit code") && message.endsWith("exited with 4"),
                    message);
        }
        URI ok = exec(streams(false, true, false, false), "true");
        try (SpdyTestClient c = SpdyTestClient.connect(ok, "v3.channel.k8s.io")) {
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            c.open("streamtype", "stdout");
            assertEquals("", error.readAll(WAIT), "success writes nothing before v4");
        }
    }

    @Test
    void spdyOutputBeyondTheFlowControlWindowArrivesWhole() throws Exception {
        // Go's spdystream never sends WINDOW_UPDATE: a server enforcing SPDY windows stalls at 64 KiB
        URI url = exec(streams(false, true, false, false), "head", "-c", "3000000", "/dev/zero");
        try (SpdyTestClient c = SpdyTestClient.connect(url, ALL_SPDY)) {
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            stdout.readAll(Duration.ofSeconds(60));
            assertEquals(3_000_000, stdout.bytes().length);
            assertEquals(0, ChannelStatus.exitCode(error.readAll(WAIT)));
        }
    }

    @Test
    void spdyResizeEventsReachTheTaskService() throws Exception {
        int before = tasks.resizes.size();
        URI url = exec(streams(true, true, false, true), "sh", "-c", "read x; echo $x");
        try (SpdyTestClient c = SpdyTestClient.connect(url, ALL_SPDY)) {
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            SpdyTestClient.Stream stdin = c.open("streamtype", "stdin");
            SpdyTestClient.Stream stdout = c.open("streamtype", "stdout");
            SpdyTestClient.Stream resize = c.open("streamtype", "resize");
            resize.write("{\"Width\":120,\"Height\":40}{\"width\":100,\"height\":30}\n");
            for (int i = 0; i < 200 && tasks.resizes.size() < before + 2; i++) {
                Thread.sleep(20);
            }
            stdin.write("done\n");
            assertEquals("done\n", stdout.readAll(WAIT));
            assertEquals(0, ChannelStatus.exitCode(error.readAll(WAIT)));
        }
        List<int[]> seen = tasks.resizes.subList(before, tasks.resizes.size());
        assertEquals(2, seen.size());
        assertEquals(List.of(120, 40), List.of(seen.get(0)[0], seen.get(0)[1]));
        assertEquals(List.of(100, 30), List.of(seen.get(1)[0], seen.get(1)[1]));
    }

    @Test
    void webSocketV5ClosesStdinWithTheCloseSignal() throws Exception {
        URI url = exec(streams(true, true, true, false), "sh", "-c", "read x; echo got $x; cat; echo end; exit 5");
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v5.channel.k8s.io", "v4.channel.k8s.io")) {
            assertEquals("v5.channel.k8s.io", c.protocol());
            c.send(0, "hello\nrest\n");
            assertTrue(c.awaitText(1, "got hello", WAIT).contains("got hello"));
            c.closeChannel(0); // cat sees end-of-file only through the v5 close signal
            assertTrue(c.awaitClosed(WAIT));
            assertEquals("got hello\nrest\nend\n", c.text(1));
            assertEquals(5, ChannelStatus.exitCode(c.text(3)));
            assertTrue(c.messages(1) >= 2, "an empty ready message on stdout, then the output");
        }
    }

    @Test
    void webSocketBase64AndPlainChannelProtocols() throws Exception {
        URI url = exec(streams(false, true, true, false), "sh", "-c", "echo out; echo err >&2");
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v4.base64.channel.k8s.io")) {
            assertEquals("v4.base64.channel.k8s.io", c.protocol());
            assertTrue(c.awaitClosed(WAIT));
            assertEquals("out\n", c.text(1));
            assertEquals("err\n", c.text(2));
            assertEquals(0, ChannelStatus.exitCode(c.text(3)));
        }
        URI plain = exec(streams(false, true, false, false), "sh", "-c", "echo x; exit 2");
        try (WebSocketTestClient c = WebSocketTestClient.connect(plain)) {
            assertEquals(null, c.protocol(), "no subprotocol asked, none answered (binary channel.k8s.io)");
            assertTrue(c.awaitClosed(WAIT));
            assertEquals("x\n", c.text(1));
            assertTrue(c.text(3).endsWith("exited with 2"), c.text(3));
        }
    }

    @Test
    void fiftyConcurrentExecsGetTheirOwnExitCodes() throws Exception {
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int code = i % 7;
            URI url = exec(streams(false, true, false, false), "sh", "-c", "echo " + code + "; exit " + code);
            results.add(pool.submit(() -> {
                try (SpdyTestClient c = SpdyTestClient.connect(url, ALL_SPDY)) {
                    SpdyTestClient.Stream error = c.open("streamtype", "error");
                    SpdyTestClient.Stream out = c.open("streamtype", "stdout");
                    assertEquals(code + "\n", out.readAll(WAIT));
                    return ChannelStatus.exitCode(error.readAll(WAIT));
                }
            }));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i % 7, results.get(i).get());
        }
        for (int i = 0; i < 100 && !tasks.execs.isEmpty(); i++) {
            Thread.sleep(20);
        }
        assertTrue(tasks.execs.isEmpty(), "every exec deleted");
    }

    @Test
    void tokensAreSingleUseAndBoundToTheirKind() throws Exception {
        URI url = exec(streams(false, true, false, false), "true");
        URI asAttach = URI.create(url.toString().replace("/exec/", "/attach/"));
        assertEquals(404, RawHttp.get(asAttach).status(), "an exec token is not an attach token");
        assertEquals(404, RawHttp.get(url).status(), "the token was used up by the wrong-kind attempt");
        assertEquals(404, RawHttp.get(URI.create(server.baseUrl() + "/exec/nosuchtoken")).status());
        assertEquals(404, RawHttp.get(URI.create(server.baseUrl() + "/other/x")).status());
        URI once = exec(streams(false, true, false, false), "true");
        try (SpdyTestClient c = SpdyTestClient.connect(once, ALL_SPDY)) {
            c.open("streamtype", "error").readAll(WAIT);
        }
        var again = assertThrows(IOException.class, () -> SpdyTestClient.connect(once, ALL_SPDY));
        assertTrue(again.getMessage().contains("404"), again.getMessage());
    }

    @Test
    void protocolNegotiationFailuresAreRefusedAsKubeletRefusesThem() throws Exception {
        RawHttp.Response none = RawHttp.get(exec(streams(false, true, false, false), "true"),
                "Connection", "Upgrade", "Upgrade", "SPDY/3.1");
        assertEquals(400, none.status());
        assertTrue(none.body().contains("X-Stream-Protocol-Version is required"), none.body());

        RawHttp.Response unknown = RawHttp.get(exec(streams(false, true, false, false), "true"),
                "Connection", "Upgrade", "Upgrade", "SPDY/3.1", "X-Stream-Protocol-Version", "v9.channel.k8s.io");
        assertEquals(403, unknown.status());
        assertEquals(List.of("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"),
                unknown.headers().get("x-accepted-stream-protocol-versions"));

        RawHttp.Response noUpgrade = RawHttp.get(exec(streams(false, true, false, false), "true"),
                "X-Stream-Protocol-Version", "v4.channel.k8s.io");
        assertEquals(400, noUpgrade.status());

        RawHttp.Response ws = RawHttp.get(exec(streams(false, true, false, false), "true"), "Connection", "Upgrade",
                "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Protocol", "v9.channel.k8s.io");
        assertEquals(403, ws.status());
        assertTrue(server.tokens().size() < 5, "refused requests used their tokens up");
    }

    @Test
    void malformedFramesCloseOnlyThatConnection() throws Exception {
        try (SpdyTestClient c = SpdyTestClient.connect(exec(streams(false, true, false, false), "sleep", "30"), ALL_SPDY)) {
            c.sendRaw(new byte[] {(byte) 0x80, 3, 0, 1, 0, 0, 0, 2, 1, 2}); // a SYN_STREAM far too short
            assertTrue(c.awaitClosed(WAIT), "a broken frame ends the connection");
        }
        try (SpdyTestClient c = SpdyTestClient.connect(exec(streams(false, true, false, false), "sleep", "30"), ALL_SPDY)) {
            c.open("streamtype", "error");
            SpdyTestClient.Stream s = c.open("streamtype", "stdout");
            assertTrue(s.awaitReply(WAIT));
            c.sendRaw(new byte[] {(byte) 0x80, 3, 0, 1, 0, 0, 0, 0}); // SYN_STREAM reusing no id
            assertTrue(c.awaitClosed(WAIT));
        }
        try (WebSocketTestClient c = WebSocketTestClient.connect(exec(streams(true, true, false, false), "sleep", "30"),
                "v5.channel.k8s.io")) {
            c.sendMessage(new byte[] {(byte) 255, 0, 0}); // a close signal must name exactly one channel
            assertTrue(c.awaitClosed(WAIT));
        }
        try (WebSocketTestClient c = WebSocketTestClient.connect(exec(streams(true, true, false, false), "sleep", "30"),
                "v4.channel.k8s.io")) {
            c.sendRaw(new byte[] {(byte) 0x82, 0x7f, 0x7f, 0, 0, 0, 0, 0, 0, 0}); // unmasked, absurd length
            assertTrue(c.awaitClosed(WAIT));
        }
        for (int i = 0; i < 100 && tasks.running() > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, tasks.running(), "the sleeps of the broken sessions were killed");
        try (SpdyTestClient c = SpdyTestClient.connect(exec(streams(false, true, false, false), "echo", "alive"), ALL_SPDY)) {
            c.open("streamtype", "error");
            assertEquals("alive\n", c.open("streamtype", "stdout").readAll(WAIT), "the server still serves");
        }
    }

    @Test
    void aClientThatNeverReadsHoldsTheProcessBackNotTheNodesMemory() throws Exception {
        long before = tasks.accepted.get();
        URI url = exec(streams(false, true, false, false), "head", "-c", "500000000", "/dev/zero");
        try (SpdyTestClient c = SpdyTestClient.connect(url, false, ALL_SPDY)) {
            c.open("streamtype", "error");
            c.open("streamtype", "stdout");
            long last = -1;
            long now = tasks.accepted.get() - before;
            for (int i = 0; i < 50 && now != last; i++) { // until the writer is blocked
                Thread.sleep(200);
                last = now;
                now = tasks.accepted.get() - before;
            }
            System.out.println("streaming: a client that never reads stopped the output after " + now + " bytes");
            assertTrue(now < 64L * 1024 * 1024, "the server stopped taking output at " + now + " bytes");
            assertEquals(1, tasks.running(), "the process waits, blocked on its output");
        }
        for (int i = 0; i < 100 && tasks.running() > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, tasks.running(), "the client left: the process was killed");
        assertFalse(tasks.killed.isEmpty());
    }

    @Test
    void attachWithoutSandboxerSupportEndsWithAnInternalErrorStatus() throws Exception {
        URI url = URI.create(server.attach(new AttachTarget(tasks, "c1", streams(false, true, false, false))));
        try (SpdyTestClient c = SpdyTestClient.connect(url, ALL_SPDY)) {
            SpdyTestClient.Stream error = c.open("streamtype", "error");
            c.open("streamtype", "stdout");
            JsonNode status = new ObjectMapper().readTree(error.readAll(WAIT));
            assertEquals("InternalError", status.path("reason").asText());
            assertTrue(status.path("message").asText().contains("cannot attach"), status.toString());
        }
    }

    private static Sandboxer withoutPortForward() {
        return (Sandboxer) Proxy.newProxyInstance(Sandboxer.class.getClassLoader(), new Class<?>[] {Sandboxer.class},
                (proxy, method, args) -> {
                    throw new SandboxException(SandboxException.Reason.UNIMPLEMENTED, method.getName());
                });
    }

    @Test
    void spdyPortForwardCarriesTwoConcurrentConnections() throws Exception {
        URI url = URI.create(server.portForward(new PortForwardTarget(withoutPortForward(), "pod1", null, List.of())));
        String port = Integer.toString(echo.getLocalPort());
        try (SpdyTestClient c = SpdyTestClient.connect(url, "portforward.k8s.io")) {
            assertEquals("portforward.k8s.io", c.protocol());
            SpdyTestClient.Stream e1 = c.open("streamtype", "error", "port", port, "requestid", "1");
            SpdyTestClient.Stream e2 = c.open("streamtype", "error", "port", port, "requestid", "2");
            SpdyTestClient.Stream d2 = c.open("streamtype", "data", "port", port, "requestid", "2");
            SpdyTestClient.Stream d1 = c.open("streamtype", "data", "port", port, "requestid", "1");
            e1.finish();
            e2.finish();
            d1.write("one");
            d2.write("two");
            assertEquals("one", d1.readUntil("one", WAIT));
            assertEquals("two", d2.readUntil("two", WAIT));
            d1.finish(); // our side done: the pod's server reads end-of-file and closes, the stream ends
            assertEquals("one", d1.readAll(WAIT));
            assertTrue(d1.finished());
            d2.write("more");
            assertEquals("twomore", d2.readUntil("twomore", WAIT), "the other connection is untouched");
            SpdyTestClient.Stream bad = c.open("streamtype", "data", "port", "0", "requestid", "3");
            bad.awaitReply(Duration.ofSeconds(2));
            assertTrue(bad.wasReset(), "a stream without a valid port is refused");
        }
    }

    @Test
    void finishedStreamsAreForgottenAndOpenOnesAreCapped() throws Exception {
        URI url = URI.create(server.portForward(new PortForwardTarget(withoutPortForward(), "pod1", null, List.of())));
        String port = Integer.toString(echo.getLocalPort());
        int connections = SpdyConnectionHandler.MAX_STREAMS / 2 + 20; // more streams in all than may be open at once
        try (SpdyTestClient c = SpdyTestClient.connect(url, "portforward.k8s.io")) {
            for (int i = 0; i < connections; i++) {
                c.open("streamtype", "error", "port", port, "requestid", Integer.toString(i)).finish();
                SpdyTestClient.Stream d = c.open("streamtype", "data", "port", port, "requestid", Integer.toString(i));
                d.write("x" + i);
                assertEquals("x" + i, d.readUntil("x" + i, WAIT));
                d.finish();
                d.readAll(WAIT);
                assertTrue(d.finished() && !d.wasReset(), "forwarded connection " + i + " ended cleanly");
            }
        }
        URI exec = exec(streams(false, true, false, false), "sleep", "20");
        try (SpdyTestClient c = SpdyTestClient.connect(exec, ALL_SPDY)) {
            c.open("streamtype", "error");
            c.open("streamtype", "stdout");
            SpdyTestClient.Stream last = null;
            for (int i = 3; i <= SpdyConnectionHandler.MAX_STREAMS; i++) { // with error and stdout: MAX_STREAMS open
                last = c.open("streamtype", "unused");
            }
            boolean replied = last.awaitReply(WAIT);
            assertTrue(replied && !last.wasReset(), "up to the cap streams are accepted: replied " + replied
                    + ", reset " + last.wasReset() + ", closed " + c.awaitClosed(Duration.ZERO) + ", stream " + last.id);
            SpdyTestClient.Stream over = c.open("streamtype", "unused");
            over.awaitReply(Duration.ofSeconds(5));
            assertTrue(over.wasReset(), "one more open stream is refused");
        }
    }

    @Test
    void aConnectionThatSendsNoRequestIsClosed() throws Exception {
        StreamingSettings quick = StreamingSettings.from(java.util.Map.of(StreamingSettings.CREATION_TIMEOUT, "1")::get);
        try (StreamingComponent.StreamingCore s = new StreamingComponent.StreamingCore(quick, state);
                Socket idle = new Socket("127.0.0.1", URI.create(s.baseUrl()).getPort())) {
            idle.setSoTimeout(30_000);
            assertEquals(-1, idle.getInputStream().read(), "the server hangs up on a silent client");
        }
    }

    @Test
    void spdyPortForwardToAClosedPortReportsOnTheErrorStream() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        URI url = URI.create(server.portForward(new PortForwardTarget(withoutPortForward(), "pod1", null, List.of())));
        try (SpdyTestClient c = SpdyTestClient.connect(url, "portforward.k8s.io")) {
            SpdyTestClient.Stream e = c.open("streamtype", "error", "port", Integer.toString(closed), "requestid", "0");
            SpdyTestClient.Stream d = c.open("streamtype", "data", "port", Integer.toString(closed), "requestid", "0");
            String message = e.readAll(WAIT);
            assertTrue(message.startsWith("error forwarding port " + closed + " to pod pod1"), message);
            d.readAll(WAIT);
            assertTrue(d.finished(), "the data stream ends");
        }
    }

    @Test
    void webSocketPortForwardPrefixesEachChannelWithItsPort() throws Exception {
        int port = echo.getLocalPort();
        URI url = URI.create(server.portForward(new PortForwardTarget(withoutPortForward(), "pod1", null, List.of(port))));
        try (WebSocketTestClient c = WebSocketTestClient.connect(url, "v4.channel.k8s.io")) {
            byte[] prefix = {(byte) (port & 0xff), (byte) (port >> 8)};
            assertEquals(List.of(prefix[0], prefix[1]), toList(c.awaitBytes(1, 2, WAIT)));
            c.send(0, "ws-echo");
            byte[] data = c.awaitBytes(0, 9, WAIT);
            assertEquals(List.of(prefix[0], prefix[1]), toList(java.util.Arrays.copyOf(data, 2)));
            assertEquals("ws-echo", new String(data, 2, data.length - 2));
        }
        URI noPort = URI.create(server.portForward(new PortForwardTarget(withoutPortForward(), "pod1", null, List.of())));
        var refused = assertThrows(IOException.class, () -> WebSocketTestClient.connect(noPort, "v4.channel.k8s.io"));
        assertTrue(refused.getMessage().contains("400"), refused.getMessage());
    }

    private static List<Byte> toList(byte[] b) {
        List<Byte> l = new ArrayList<>();
        for (byte x : b) {
            l.add(x);
        }
        return l;
    }
}
