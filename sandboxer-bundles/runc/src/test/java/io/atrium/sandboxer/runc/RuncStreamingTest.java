package io.atrium.sandboxer.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.ociruntime.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRI streaming on the runc sandboxer with real runc: exec with and without a terminal, resize, stdin,
 * closeIO, attach (several clients, stdinOnce), terminal containers, and that nothing leaks.
 */
class RuncStreamingTest {
    @TempDir
    static Path imageDir;
    @TempDir
    Path nodeDir;
    private static Path image;
    private RuncTestNode node;
    private RuncSandboxer sandboxer;

    @BeforeAll
    static void buildImage() throws Exception {
        image = BusyboxRootfs.build(imageDir.resolve("busybox"), "streams\n");
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

    /** An in-process output endpoint that collects what it is given. */
    static final class Collector implements WritableByteChannel {
        private final StringBuffer text = new StringBuffer();
        private volatile boolean open = true;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            text.append(new String(b, StandardCharsets.UTF_8));
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

        String text() {
            return text.toString();
        }

        void await(Predicate<String> condition, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!condition.test(text())) {
                assertTrue(System.nanoTime() < deadline, what + "; got: " + text());
                Thread.sleep(20);
            }
        }
    }

    private TaskService startPod(String id) throws Exception {
        assertEquals(id, sandboxer.create(node.pod(id, id)));
        return ((TaskEndpoint.InProcess) sandboxer.start(id).tasks()).service();
    }

    private TaskService startPodWithSleeper(String id) throws Exception {
        TaskService tasks = startPod(id);
        tasks.create(node.container("main", MinimalOciSpec.of("sleep", "1000").toString()));
        tasks.start("main", "");
        return tasks;
    }

    private static String process(String... args) {
        return MinimalOciSpec.of(args).get("process").toString();
    }

    private static void send(Pipe pipe, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            pipe.sink().write(b);
        }
    }

    private static ExitStatus await(TaskService tasks, String containerId, String execId) throws Exception {
        return tasks.waitExit(containerId, execId).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private List<String> log(String containerId) throws IOException {
        Path p = node.logOf(containerId);
        return Files.exists(p) ? Files.readAllLines(p) : List.of();
    }

    private void awaitLog(String containerId, Predicate<List<String>> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.test(log(containerId))) {
            assertTrue(System.nanoTime() < deadline, what + "; log: " + log(containerId));
            Thread.sleep(50);
        }
    }

    @Test
    void execWithATerminalSeesTheSizeSetByResize() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-tty-exec");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        tasks.exec(new ExecProcess("main", "t1", process("sh", "-c", "read x; [ -t 0 ] && echo isatty; stty size; exit 7"),
                new Stdio(new Endpoint.InputChannel(in.source()), new Endpoint.OutputChannel(out), Endpoint.NONE, true,
                        false)));
        tasks.start("main", "t1");
        tasks.resizePty("main", "t1", 123, 45);
        send(in, "go\n");
        assertEquals(7, await(tasks, "main", "t1").code());
        String text = out.text();
        assertTrue(text.contains("go"), "the terminal echoes input: " + text);
        assertTrue(text.contains("isatty"), text);
        assertTrue(text.contains("45 123"), "stty size after resize: " + text);
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(SandboxException.class,
                () -> tasks.resizePty("main", "t1", 80, 24)).reason(), "resize after exit");
        assertEquals(7, tasks.delete("main", "t1").code());
        in.sink().close();
    }

    @Test
    void execWithoutATerminalReadsStdinAndKeepsItsExitCode() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-stdin-exec");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        Collector err = new Collector();
        tasks.exec(new ExecProcess("main", "r1", process("sh", "-c", "read x; echo got $x; echo bad >&2; exit 3"),
                new Stdio(new Endpoint.InputChannel(in.source()), new Endpoint.OutputChannel(out),
                        new Endpoint.OutputChannel(err), false, false)));
        tasks.start("main", "r1");
        send(in, "hello world\n");
        assertEquals(3, await(tasks, "main", "r1").code());
        assertEquals("got hello world\n", out.text());
        assertEquals("bad\n", err.text());
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(SandboxException.class,
                () -> tasks.resizePty("main", "", 80, 24)).reason(), "no terminal to resize");
        tasks.delete("main", "r1");
        in.sink().close();
    }

    @Test
    void inputThatEndsBeforeTheRuntimeRunsStillReachesTheProcess() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-early-eof");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        send(in, "early bird\n");
        in.sink().close(); // the client's input is over before the exec even starts
        tasks.exec(new ExecProcess("main", "e1", process("sh", "-c", "cat; echo done"),
                new Stdio(new Endpoint.InputChannel(in.source()), new Endpoint.OutputChannel(out), Endpoint.NONE, false,
                        false)));
        tasks.start("main", "e1");
        assertEquals(0, await(tasks, "main", "e1").code());
        assertEquals("early bird\ndone\n", out.text());
        tasks.delete("main", "e1");
    }

    @Test
    void closeIoGivesTheProcessEndOfFile() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-closeio");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        tasks.exec(new ExecProcess("main", "c1", process("sh", "-c", "cat; echo done"),
                new Stdio(new Endpoint.InputChannel(in.source()), new Endpoint.OutputChannel(out), Endpoint.NONE, false,
                        false)));
        tasks.start("main", "c1");
        send(in, "abc\n");
        out.await(t -> t.contains("abc"), "cat echoes its input");
        assertEquals(TaskStatus.RUNNING, tasks.state("main", "c1").status(), "cat waits for more input");
        tasks.closeIO("main", "c1");
        assertEquals(0, await(tasks, "main", "c1").code());
        assertEquals("abc\ndone\n", out.text());
        tasks.delete("main", "c1");
    }

    /** CRI stdin: true is an InputChannel at create; this one is empty and only marks the container as taking input. */
    private CreateTask containerWithStdin(String id, boolean terminal, boolean stdinOnce, String... args) throws IOException {
        CreateTask t = node.container(id, MinimalOciSpec.of(args).toString());
        Endpoint log = new Endpoint.CriLog(node.logOf(id));
        return new CreateTask(id, t.ociSpecJson(), t.rootfs(), new Stdio(
                new Endpoint.InputChannel(Channels.newChannel(InputStream.nullInputStream())), log, log, terminal, stdinOnce),
                t.annotations());
    }

    @Test
    void attachedClientsGetOutputAndSendInputWhileTheLogKeepsEverything() throws Exception {
        TaskService tasks = startPod("pod-attach");
        tasks.create(containerWithStdin("ticker", false, false, "sh", "-c",
                "i=0; while true; do echo tick $i; i=$((i+1)); if read -t 1 line; then echo heard $line; fi; done"));
        tasks.start("ticker", "");
        awaitLog("ticker", l -> l.stream().anyMatch(x -> x.endsWith(" stdout F tick 1")), "ticks are logged");

        Pipe inA = Pipe.open();
        Collector a = new Collector();
        Collector b = new Collector();
        AutoCloseable handleA = tasks.attach("ticker", "", new Stdio(new Endpoint.InputChannel(inA.source()),
                new Endpoint.OutputChannel(a), new Endpoint.OutputChannel(a), false, false));
        AutoCloseable handleB = tasks.attach("ticker", "", new Stdio(Endpoint.NONE, new Endpoint.OutputChannel(b),
                Endpoint.NONE, false, false));
        a.await(t -> t.contains("tick"), "client A receives ticks");
        b.await(t -> t.contains("tick"), "client B receives ticks");
        assertFalse(a.text().contains("tick 0\n"), "a client gets only output after it attached: " + a.text());

        send(inA, "from A\n");
        a.await(t -> t.contains("heard from A"), "input from client A reaches the container");
        b.await(t -> t.contains("heard from A"), "every client sees the output");
        awaitLog("ticker", l -> l.stream().anyMatch(x -> x.endsWith(" stdout F heard from A")), "the log still gets it");

        handleA.close(); // detaches A only
        int bLength = b.text().length();
        b.await(t -> t.length() > bLength + 10, "client B keeps receiving after A detached");
        assertEquals(TaskStatus.RUNNING, tasks.state("ticker", "").status(), "detaching does not disturb the container");
        handleB.close();
        int logged = log("ticker").size();
        awaitLog("ticker", l -> l.size() > logged + 1, "logging goes on with no client");

        Pipe inC = Pipe.open(); // stdin stays open for later clients (no stdinOnce)
        Collector c = new Collector();
        try (AutoCloseable handleC = tasks.attach("ticker", "", new Stdio(new Endpoint.InputChannel(inC.source()),
                new Endpoint.OutputChannel(c), Endpoint.NONE, false, false))) {
            send(inC, "from C\n");
            c.await(t -> t.contains("heard from C"), "a later client's input arrives too");
        }
        tasks.kill("ticker", "", 9, false);
        await(tasks, "ticker", "");
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(SandboxException.class, () -> tasks.attach("ticker", "",
                new Stdio(Endpoint.NONE, new Endpoint.OutputChannel(new Collector()), Endpoint.NONE, false, false)))
                .reason(), "attach to an exited container");
        inA.sink().close();
        inC.sink().close();
    }

    @Test
    void stdinOnceClosesTheContainersStdinWhenTheFirstClientDetaches() throws Exception {
        TaskService tasks = startPod("pod-once");
        tasks.create(containerWithStdin("reader", false, true, "sh", "-c", "cat; echo stdin closed; exit 4"));
        tasks.start("reader", "");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        AutoCloseable handle = tasks.attach("reader", "", new Stdio(new Endpoint.InputChannel(in.source()),
                new Endpoint.OutputChannel(out), Endpoint.NONE, false, false));
        send(in, "line one\n");
        out.await(t -> t.contains("line one"), "input reaches cat");
        assertEquals(TaskStatus.RUNNING, tasks.state("reader", "").status());
        handle.close();
        assertEquals(4, await(tasks, "reader", "").code(), "cat saw end-of-file when the client detached");
        assertTrue(log("reader").stream().anyMatch(l -> l.endsWith(" stdout F stdin closed")), log("reader").toString());
        in.sink().close();
    }

    @Test
    void aTerminalContainerLogsItsOutputAndTakesInputFromAttachedClients() throws Exception {
        TaskService tasks = startPod("pod-tty");
        tasks.create(containerWithStdin("shell", true, false, "sh", "-c",
                "[ -t 1 ] && echo on a terminal; read x; echo read $x; exit 6"));
        tasks.start("shell", "");
        awaitLog("shell", l -> l.stream().anyMatch(x -> x.contains(" stdout F on a terminal")), "tty output is logged");
        Pipe in = Pipe.open();
        Collector out = new Collector();
        try (AutoCloseable h = tasks.attach("shell", "", new Stdio(new Endpoint.InputChannel(in.source()),
                new Endpoint.OutputChannel(out), Endpoint.NONE, true, false))) {
            tasks.resizePty("shell", "", 100, 30);
            send(in, "typed\n");
            assertEquals(6, await(tasks, "shell", "").code());
        }
        assertTrue(out.text().contains("read typed"), out.text());
        assertTrue(log("shell").stream().anyMatch(l -> l.contains(" stdout F read typed")), log("shell").toString());
        in.sink().close();
    }

    @Test
    void aTerminalContainerKeepsItsTerminalAcrossAnInstanceSwap() throws Exception {
        TaskService tasks = startPod("pod-tty-swap");
        tasks.create(containerWithStdin("shell", true, false, "sh", "-c",
                "while read x; do echo echo $x; done; exit 2"));
        tasks.start("shell", "");
        long pid = tasks.state("shell", "").pid();
        sandboxer.close(); // a bundle update: the next instance takes the terminal over
        sandboxer = node.sandboxer();
        TaskService after = ((TaskEndpoint.InProcess) sandboxer.tasks("pod-tty-swap")).service();
        assertEquals(pid, after.state("shell", "").pid());
        assertEquals(TaskStatus.RUNNING, after.state("shell", "").status());
        Pipe in = Pipe.open();
        Collector out = new Collector();
        try (AutoCloseable h = after.attach("shell", "", new Stdio(new Endpoint.InputChannel(in.source()),
                new Endpoint.OutputChannel(out), Endpoint.NONE, true, false))) {
            send(in, "still here\n");
            out.await(t -> t.contains("echo still here"), "the re-adopted terminal carries input and output");
        }
        awaitLog("shell", l -> l.stream().anyMatch(x -> x.contains(" stdout F echo still here")), "and the log continues");
        after.closeIO("shell", ""); // ^D on the terminal ends the read loop
        assertEquals(2, await(after, "shell", "").code());
        in.sink().close();
    }

    @Test
    void badStreamingRequestsAreRefusedWithTheRightReasonAndTheContainerRunsOn() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-bad-streams");
        Stdio watch = new Stdio(Endpoint.NONE, new Endpoint.OutputChannel(new Collector()), Endpoint.NONE, false, false);
        assertEquals(Reason.NOT_FOUND, assertThrows(SandboxException.class, () -> tasks.attach("nobody", "", watch)).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(SandboxException.class, () -> tasks.attach("main", "nope", watch)).reason());
        assertEquals(Reason.NOT_FOUND, assertThrows(SandboxException.class,
                () -> tasks.resizePty("nobody", "", 80, 24)).reason());
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(SandboxException.class,
                () -> tasks.resizePty("main", "", -1, 24)).reason());
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(SandboxException.class, () -> tasks.attach("main", "",
                new Stdio(Endpoint.NONE, new Endpoint.CriLog(node.dir.resolve("x.log")), Endpoint.NONE, false, false)))
                .reason(), "attach takes channels only");
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(SandboxException.class, () -> tasks.attach("main", "",
                new Stdio(new Endpoint.OutputChannel(new Collector()), Endpoint.NONE, Endpoint.NONE, false, false)))
                .reason(), "stdin cannot be an output");
        Pipe in = Pipe.open();
        assertEquals(Reason.FAILED_PRECONDITION, assertThrows(SandboxException.class, () -> tasks.attach("main", "",
                new Stdio(new Endpoint.InputChannel(in.source()), Endpoint.NONE, Endpoint.NONE, false, false))).reason(),
                "a container created without stdin takes no input");
        assertEquals(Reason.UNIMPLEMENTED, assertThrows(SandboxException.class, () -> tasks.exec(new ExecProcess("main", "f1",
                process("true"), new Stdio(Endpoint.NONE, new Endpoint.Fifo(node.dir.resolve("f")), Endpoint.NONE, true,
                false)))).reason(), "a terminal's streams cannot be FIFOs");
        assertEquals(TaskStatus.RUNNING, tasks.state("main", "").status());
        in.sink().close();
        in.source().close();
    }

    @Test
    void runningContainersShareOneLogReaderThreadThatEndsWithThem() throws Exception {
        TaskService tasks = startPod("pod-threads");
        for (int i = 0; i < 8; i++) {
            tasks.create(node.container("c" + i, MinimalOciSpec.of("sh", "-c", "echo out " + i + "; echo err " + i
                    + " >&2; exec sleep 1000").toString()));
            tasks.start("c" + i, "");
        }
        for (int i = 0; i < 8; i++) {
            String n = Integer.toString(i);
            awaitLog("c" + i, l -> l.stream().anyMatch(x -> x.endsWith(" stdout F out " + n))
                    && l.stream().anyMatch(x -> x.endsWith(" stderr F err " + n)), "both streams of c" + i + " are logged");
        }
        assertEquals(List.of(), streamThreadNames(), "no reader thread per container stream");
        assertEquals(1, threadsNamed("atrium-log-reader"), "one shared reader for every container's log");
        sandboxer.stop("pod-threads", java.time.Duration.ZERO);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (threadsNamed("atrium-log-reader") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, threadsNamed("atrium-log-reader"), "the shared reader ends when nothing is left to read");
    }

    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    @Test
    void twentyConcurrentExecsLeaveNoDescriptorsThreadsOrProcesses() throws Exception {
        TaskService tasks = startPodWithSleeper("pod-many");
        // warm-up: the first exec loads classes and opens the JVM's own files
        runExec(tasks, "warm", false);
        long fdsBefore = streamFds();
        long threadsBefore = streamThreads();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "x" + i;
                boolean tty = i % 2 == 0;
                runs.add(pool.submit(() -> {
                    runExec(tasks, id, tty);
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((streamFds() > fdsBefore || streamThreads() > threadsBefore) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(fdsBefore, streamFds(), "pipes, FIFOs, terminals, sockets and eventfds left open: " + fdList());
        assertEquals(threadsBefore, streamThreads(), "stream threads left running: " + streamThreadNames());
        assertEquals(1, tasks.pids("main").size(), "only the container's init is left: " + tasks.pids("main"));
        RuncTestNode.assertNoZombieChildren();
        try (Stream<Path> left = Files.list(node.settings.run().resolve("tty"))) {
            assertEquals(List.of(), left.toList(), "console sockets left");
        }
    }

    private void runExec(TaskService tasks, String id, boolean tty) throws Exception {
        Pipe in = Pipe.open();
        Collector out = new Collector();
        tasks.exec(new ExecProcess("main", id, process("sh", "-c", "read x; echo got $x; exit 5"),
                new Stdio(new Endpoint.InputChannel(in.source()), new Endpoint.OutputChannel(out), Endpoint.NONE, tty,
                        false)));
        tasks.start("main", id);
        send(in, id + "\n");
        assertEquals(5, await(tasks, "main", id).code(), id);
        assertTrue(out.text().contains("got " + id), id + ": " + out.text());
        tasks.delete("main", id);
        in.sink().close();
        in.source().close();
    }

    /** Descriptors of the kinds the streams use: pipes, FIFOs, terminals, sockets, eventfds. */
    private static long streamFds() throws IOException {
        return fdList().size();
    }

    private static List<String> fdList() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String t = Files.readSymbolicLink(fd).toString();
                    if (t.startsWith("pipe:") || t.startsWith("socket:") || t.contains("eventfd") || t.contains("ptmx")
                            || t.endsWith(".fifo") || t.startsWith("/dev/pts")) {
                        out.add(fd.getFileName() + "->" + t);
                    }
                } catch (IOException gone) {
                    // closed while listing
                }
            }
        }
        return out;
    }

    /** Threads copying streams (the pool reporting exits keeps idle threads for a minute, so it is left out). */
    private static long streamThreads() {
        return streamThreadNames().size();
    }

    private static List<String> streamThreadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("atrium-runc-") && !n.startsWith("atrium-runc-exit-")
                        || n.startsWith("atrium-attach-")).toList();
    }
}
