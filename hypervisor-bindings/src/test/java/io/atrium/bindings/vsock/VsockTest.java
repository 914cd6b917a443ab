package io.atrium.bindings.vsock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Only binds and listens on this machine; connects only over the loopback transport, never to the host. */
class VsockTest {
    private final Vsock vsock = new Vsock(new Syscalls());

    @BeforeEach
    void present() {
        assumeTrue(Files.exists(Path.of("/dev/vsock")), "/dev/vsock absent: kernel has no AF_VSOCK transport here");
    }

    @Test
    void localCidIsAGuestOrHostAddress() throws Exception {
        int cid = vsock.localCid();
        assertTrue(Integer.compareUnsigned(cid, VsockAddress.CID_HOST) >= 0, "cid " + cid);
    }

    @Test
    void bindListenAndAcceptTimeout() throws Exception {
        try (VsockServerSocket server = VsockServerSocket.bind(new VsockAddress(VsockAddress.CID_ANY, VsockAddress.PORT_ANY), 4)) {
            VsockAddress local = server.localAddress();
            assertEquals(VsockAddress.CID_ANY, local.cid());
            assertNotEquals(VsockAddress.PORT_ANY, local.port(), "kernel picked a port");
            long t0 = System.nanoTime();
            assertEquals(Optional.empty(), server.accept(Duration.ofMillis(150)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(140));

            ErrnoException inUse = assertThrows(ErrnoException.class,
                    () -> VsockServerSocket.bind(new VsockAddress(VsockAddress.CID_ANY, local.port()), 1));
            assertTrue(inUse.is(Errno.EADDRINUSE), inUse.getMessage());
            assertEquals("bind", inUse.call());
        }
    }

    @Test
    void bindingSomeoneElsesCidFails() throws Exception {
        int notMine = vsock.localCid() + 1000;
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> VsockServerSocket.bind(new VsockAddress(notMine, 7000), 1));
        assertTrue(e.is(Errno.EADDRNOTAVAIL), e.getMessage());
    }

    @Test
    void streamsOverLoopback() throws Exception {
        Optional<String> why = vsock.loopbackUnavailableReason();
        assumeTrue(why.isEmpty(), () -> "no vsock loopback transport: " + why.orElseThrow());
        try (VsockServerSocket server = VsockServerSocket.bind(new VsockAddress(VsockAddress.CID_ANY, VsockAddress.PORT_ANY), 1)) {
            int port = server.localAddress().port();
            CompletableFuture<String> echoed = CompletableFuture.supplyAsync(() -> {
                try (VsockSocket c = server.accept(Duration.ofSeconds(5)).orElseThrow()) {
                    byte[] got = c.getInputStream().readAllBytes();
                    c.getOutputStream().write(("echo:" + new String(got, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                    return "ok";
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (VsockSocket client = VsockSocket.connect(new VsockAddress(VsockAddress.CID_LOCAL, port))) {
                client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
                client.shutdownOutput();
                assertEquals("echo:hello", new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            assertEquals("ok", echoed.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void loopbackReasonIsSpecific() {
        vsock.loopbackUnavailableReason().ifPresent(reason ->
                assertTrue(reason.contains("CONFIG_VSOCKETS_LOOPBACK") || reason.contains("vsock_loopback"), reason));
    }
}
