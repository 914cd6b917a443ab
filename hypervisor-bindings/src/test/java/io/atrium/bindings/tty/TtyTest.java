package io.atrium.bindings.tty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.bindings.libc.NativeFd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Console sockets, pty ioctls and the wakeable descriptor channel, on the real kernel. */
class TtyTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Set<String> PTMX = Set.of("/dev/ptmx", "/dev/pts/ptmx");

    @TempDir
    Path dir;

    @Test
    void aConsoleSocketReceivesTheDescriptorAPeerSendsWithScmRights() throws Exception {
        // the peer plays runc's part: it opens a pty master and sends it with SCM_RIGHTS
        assumeTrue(Files.isExecutable(PYTHON), "python3 (the sending peer) is not installed");
        Path sock = dir.resolve("c.sock");
        try (ConsoleSocket socket = ConsoleSocket.listen(sock)) {
            Process peer = new ProcessBuilder(PYTHON.toString(), "-c", "import socket,os,sys\n"
                    + "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
                    + "fd=os.open('/dev/ptmx', os.O_RDWR|os.O_NOCTTY)\n"
                    + "socket.send_fds(s, [b'/dev/pts/x'], [fd])\n", sock.toString()).inheritIO().start();
            NativeFd master = socket.receive(Duration.ofSeconds(20));
            assertEquals(0, peer.waitFor());
            try (FdChannel ch = new FdChannel(master)) {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + ch.fd())).toString();
                assertTrue(PTMX.contains(target), target);
                Pty.setWindowSize(ch.fd(), 33, 111);
                assertEquals(new Pty.WindowSize(33, 111), Pty.windowSize(ch.fd()));
            }
        }
        assertFalse(Files.exists(sock), "closing removes the socket file");
    }

    @Test
    void receiveGivesUpWhenNobodyConnectsAndLongPathsAreRefused() throws Exception {
        long before = openFds();
        try (ConsoleSocket socket = ConsoleSocket.listen(dir.resolve("idle.sock"))) {
            IOException e = assertThrows(IOException.class, () -> socket.receive(Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("no terminal arrived"), e.getMessage());
        }
        IOException tooLong = assertThrows(IOException.class, () -> ConsoleSocket.listen(dir.resolve("x".repeat(120))));
        assertTrue(tooLong.getMessage().contains("longer than"), tooLong.getMessage());
        assertEquals(before, openFds(), "no descriptor left behind");
    }

    @Test
    void aPtyPairCarriesBytesBothWaysAndRawModeStopsEcho() throws Exception {
        Pty.Pair pair = Pty.open();
        try (FdChannel master = new FdChannel(pair.master());
                FileChannel slave = FileChannel.open(pair.slave(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertTrue(Pty.echoes(master.fd()), "a new terminal echoes");
            Pty.makeRaw(master.fd());
            assertFalse(Pty.echoes(master.fd()), "raw mode turns echo off");
            master.write(ByteBuffer.wrap("in".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer got = ByteBuffer.allocate(16);
            slave.read(got);
            assertEquals("in", new String(got.array(), 0, got.position(), StandardCharsets.UTF_8));
            slave.write(ByteBuffer.wrap("out".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer back = ByteBuffer.allocate(16);
            master.read(back);
            assertEquals("out", new String(back.array(), 0, back.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void closingWakesABlockedReaderWithEndOfFile() throws Exception {
        Path fifo = dir.resolve("f.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        FdChannel ch = FdChannel.openFifo(fifo);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            try {
                return ch.read(ByteBuffer.allocate(8));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100); // let it block in poll
        assertFalse(read.isDone(), "nothing to read yet");
        ch.close();
        assertEquals(-1, read.get(10, TimeUnit.SECONDS));
        assertFalse(ch.isOpen());
    }

    @Test
    void aReleasedDescriptorIsAdoptedByNumberOnlyWhereItStillIsWhatItWas() throws Exception {
        Path fifo = dir.resolve("g.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        FdChannel first = FdChannel.openFifo(fifo);
        first.write(ByteBuffer.wrap(new byte[] {'k'}));
        int n = first.release();
        assertTrue(FdChannel.adopt(n, Set.of("/somewhere/else")).isEmpty(), "a descriptor of another file is refused");
        try (FdChannel second = FdChannel.adopt(n, Set.of(fifo.toString())).orElseThrow()) {
            ByteBuffer b = ByteBuffer.allocate(1);
            assertEquals(1, second.read(b), "the FIFO's data survived the handover");
            assertEquals('k', b.get(0));
        }
        assertFalse(Files.exists(Path.of("/proc/self/fd/" + n)) && Files.readSymbolicLink(Path.of("/proc/self/fd/" + n))
                .toString().equals(fifo.toString()), "closed by its new owner");
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
