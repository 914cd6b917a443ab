package io.atrium.engine.sandboxers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.Sandboxer;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SandboxerGateTest {

    /** A sandboxer instance whose list() answers with its own label; only identity matters here. */
    private static Sandboxer instance(String label) {
        return (Sandboxer) Proxy.newProxyInstance(Sandboxer.class.getClassLoader(), new Class<?>[] {Sandboxer.class},
                (p, m, a) -> switch (m.getName()) {
                    case "list" -> List.of();
                    case "toString" -> label;
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == a[0];
                    default -> throw new AssertionError("unexpected call " + m.getName());
                });
    }

    private static SandboxerGate.Provider provider(Sandboxer s, long bundle) {
        return new SandboxerGate.Provider(s, bundle, "b" + bundle, "1.0.0");
    }

    @Test
    void callDuringSwapWaitsForTheNewInstance() throws Exception {
        SandboxerGate gate = new SandboxerGate("counter");
        Sandboxer v1 = instance("v1");
        Sandboxer v2 = instance("v2");
        gate.bind(provider(v1, 7));
        gate.unbind(v1, Duration.ofSeconds(1));
        CompletableFuture<Sandboxer> caller = CompletableFuture.supplyAsync(() -> gate.acquire(Duration.ofSeconds(10)));
        Thread.sleep(100);
        assertTrue(!caller.isDone(), "a caller must wait while no instance is bound");
        assertEquals("swapping", gate.view().state());
        gate.bind(provider(v2, 7));
        assertSame(v2, caller.get(5, TimeUnit.SECONDS));
        gate.release(v2);
    }

    @Test
    void unbindWaitsForCallsInsideTheOldInstance() throws Exception {
        SandboxerGate gate = new SandboxerGate("counter");
        Sandboxer v1 = instance("v1");
        gate.bind(provider(v1, 7));
        Sandboxer held = gate.acquire(Duration.ofSeconds(1));
        CountDownLatch unbound = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            gate.unbind(v1, Duration.ofSeconds(10));
            unbound.countDown();
        });
        t.start();
        assertTrue(!unbound.await(200, TimeUnit.MILLISECONDS), "unbind must not return while a call is inside v1");
        gate.release(held);
        assertTrue(unbound.await(5, TimeUnit.SECONDS));
    }

    @Test
    void uninstalledSandboxerFailsFastWithReason() {
        SandboxerGate gate = new SandboxerGate("counter");
        Sandboxer v1 = instance("v1");
        gate.bind(provider(v1, 7));
        gate.unbind(v1, Duration.ZERO);
        gate.markRemoved(8); // another bundle: no effect
        assertEquals("swapping", gate.view().state());
        gate.markRemoved(7);
        long start = System.nanoTime();
        SandboxException e = assertThrows(SandboxException.class, () -> gate.acquire(Duration.ofSeconds(30)));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertEquals(SandboxException.Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("uninstalled"), e.getMessage());
    }

    @Test
    void boundedWaitEndsWithUnavailable() {
        SandboxerGate gate = new SandboxerGate("ghost");
        SandboxException e = assertThrows(SandboxException.class, () -> gate.acquire(Duration.ofMillis(50)));
        assertEquals(SandboxException.Reason.UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("ghost"));
    }

    @Test
    void secondClaimantIsKeptAsConflictAndTakesOverWhenFirstLeaves() {
        SandboxerGate gate = new SandboxerGate("counter");
        Sandboxer a = instance("a");
        Sandboxer b = instance("b");
        gate.bind(provider(a, 1));
        gate.bind(provider(b, 2));
        assertTrue(gate.view().conflict().contains("b2"), gate.view().conflict());
        assertSame(a, gate.acquire(Duration.ZERO));
        gate.release(a);
        gate.unbind(a, Duration.ZERO);
        assertSame(b, gate.acquire(Duration.ZERO));
    }

    @Test
    void proxyRoutesToCurrentInstance() {
        SandboxerGate gate = new SandboxerGate("counter");
        gate.bind(provider(instance("v1"), 1));
        Sandboxer view = GatedInvocation.sandboxer(gate, Duration.ofSeconds(1));
        assertEquals(List.of(), view.list());
        assertTrue(view.toString().contains("counter"));
        assertEquals(0, gate.view().inFlight());
    }

    @Test
    void swapWaitPropertyIsValidated() {
        assertEquals(Duration.ofMillis(1500), SandboxerRegistry.parseWait("1500"));
        assertEquals(SandboxerRegistry.DEFAULT_SWAP_WAIT, SandboxerRegistry.parseWait(null));
        assertThrows(IllegalArgumentException.class, () -> SandboxerRegistry.parseWait("soon"));
        assertThrows(IllegalArgumentException.class, () -> SandboxerRegistry.parseWait("-1"));
    }
}
