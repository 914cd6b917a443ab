package io.atrium.bindings.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.testing.Orphans;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProcessReaperTest {
    private final Syscalls sys = new Syscalls();
    private ProcessReaper reaper;

    @BeforeEach
    void start() throws Exception {
        reaper = new ProcessReaper(sys);
        reaper.start();
    }

    @AfterEach
    void stop() throws Exception {
        reaper.close();
    }

    /** Gone from /proc, or (pid reused) a different process: either way not our zombie. */
    private static void assertReaped(int pid, long startTime) throws Exception {
        Optional<ProcStat> now = ProcStat.read(pid);
        assertTrue(now.isEmpty() || now.get().startTime() != startTime, "zombie left behind: " + now);
    }

    @Test
    void reparentedGrandchildIsReapedWithItsExitCode() throws Exception {
        int pid = Orphans.spawn("sleep 0.5; exit 3");
        ProcStat st = ProcStat.read(pid).orElseThrow();
        assertEquals(sys.getpid(), st.ppid(), "reparented to the subreaper JVM");
        Instant before = Instant.now();
        ExitEvent ev = reaper.watch(pid).get(10, TimeUnit.SECONDS);
        assertEquals(pid, ev.pid());
        assertEquals(new ExitStatus.Exited(3), ev.status());
        assertFalse(ev.adopted());
        assertFalse(ev.observed().isBefore(before));
        assertReaped(pid, st.startTime());
        assertFalse(reaper.watched().contains(pid));
    }

    @Test
    void killThroughPidfdReportsTheSignal() throws Exception {
        int pid = Orphans.spawn("exec sleep 60");
        long start = ProcStat.read(pid).orElseThrow().startTime();
        CompletableFuture<ExitEvent> f = reaper.watch(pid);
        assertTrue(reaper.watched().contains(pid));
        reaper.signal(pid, Signals.SIGTERM);
        ExitEvent ev = f.get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus.Signaled(Signals.SIGTERM, false), ev.status());
        assertEquals(128 + Signals.SIGTERM, ev.status().shellCode());
        assertReaped(pid, start);
    }

    @Test
    void alreadyExitedZombieIsCollected() throws Exception {
        int pid = Orphans.spawn("sleep 0.5; exit 5");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ProcStat st;
        do {
            st = ProcStat.read(pid).orElseThrow();
            Thread.sleep(10);
        } while (!st.isZombie() && System.nanoTime() < deadline);
        assertTrue(st.isZombie(), "orphan should sit as a zombie until someone reaps it");
        assertEquals(new ExitStatus.Exited(5), reaper.watch(pid).get(10, TimeUnit.SECONDS).status());
        assertReaped(pid, st.startTime());
    }

    @Test
    void processBuilderChildrenKeepTheirOwnExitCodes() throws Exception {
        List<Process> jdkChildren = new ArrayList<>();
        List<CompletableFuture<ExitEvent>> watched = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            jdkChildren.add(new ProcessBuilder("sh", "-c", "sleep 0.2; exit " + (10 + i)).start());
            watched.add(reaper.watch(Orphans.spawn("sleep 0.5; exit " + (20 + i))));
        }
        for (int i = 0; i < 6; i++) {
            assertTrue(jdkChildren.get(i).waitFor(10, TimeUnit.SECONDS));
            assertEquals(10 + i, jdkChildren.get(i).exitValue(), "java.lang.Process got its own status");
            assertEquals(new ExitStatus.Exited(20 + i), watched.get(i).get(10, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void adoptedStrangerIsObservedWithUnknownStatus() throws Exception {
        Process parent = Orphans.spawnWithLivingParent("sleep 0.5; exit 4");
        int pid = Orphans.readPid(parent);
        assertEquals(parent.pid(), ProcStat.read(pid).orElseThrow().ppid());
        assertTrue(assertThrows(ErrnoException.class, () -> reaper.watch(pid)).is(Errno.ECHILD));
        ExitEvent ev = reaper.adopt(pid).get(10, TimeUnit.SECONDS);
        assertTrue(ev.adopted());
        assertInstanceOf(ExitStatus.Unknown.class, ev.status());
        assertEquals(-1, ev.status().shellCode());
        assertTrue(parent.waitFor(10, TimeUnit.SECONDS));
    }

    @Test
    void adoptedOwnChildStillGetsItsStatus() throws Exception {
        int pid = Orphans.spawn("sleep 0.5; exit 9");
        ExitEvent ev = reaper.adopt(pid).get(10, TimeUnit.SECONDS);
        assertTrue(ev.adopted());
        assertEquals(new ExitStatus.Exited(9), ev.status());
    }

    @Test
    void listenersGetEveryEvent() throws Exception {
        List<ExitEvent> seen = new CopyOnWriteArrayList<>();
        ExitListener l = seen::add;
        reaper.addListener(l);
        reaper.addListener(e -> {
            throw new IllegalStateException("a failing listener must not stop the others");
        });
        int a = Orphans.spawn("sleep 0.5; exit 1");
        int b = Orphans.spawn("sleep 0.5; exit 2");
        reaper.watch(a).get(10, TimeUnit.SECONDS);
        reaper.watch(b).get(10, TimeUnit.SECONDS);
        assertEquals(List.of(a, b), seen.stream().map(ExitEvent::pid).sorted().toList());
        reaper.removeListener(l);
        reaper.watch(Orphans.spawn("sleep 0.5; exit 0")).get(10, TimeUnit.SECONDS);
        assertEquals(2, seen.size());
    }

    @Test
    void badPidsAndStates() throws Exception {
        assertTrue(assertThrows(ErrnoException.class, () -> reaper.watch(4_000_000)).is(Errno.ESRCH));
        assertTrue(assertThrows(ErrnoException.class, () -> reaper.adopt(-1)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> reaper.signal(1, 0)).is(Errno.ESRCH), "unwatched");
        try (ProcessReaper idle = new ProcessReaper(sys)) {
            assertThrows(IllegalStateException.class, () -> idle.adopt(1));
        }
    }

    @Test
    void subreaperFlagFollowsTheReaper() throws Exception {
        assertTrue(sys.isChildSubreaper());
        reaper.close();
        assertFalse(sys.isChildSubreaper());
        reaper = new ProcessReaper(sys);
        reaper.start();
        assertTrue(sys.isChildSubreaper());
    }

    @Test
    void closingLeavesWatchedProcessesRunning() throws Exception {
        int pid = Orphans.spawn("exec sleep 60");
        CompletableFuture<ExitEvent> f = reaper.watch(pid);
        reaper.close();
        assertTrue(f.isCancelled());
        assertFalse(ProcStat.read(pid).orElseThrow().isZombie());
        // a new reaper (think: the bundle was updated) picks it up again
        reaper = new ProcessReaper(sys);
        reaper.start();
        CompletableFuture<ExitEvent> again = reaper.watch(pid);
        sys.kill(pid, Signals.SIGKILL);
        assertEquals(new ExitStatus.Signaled(Signals.SIGKILL, false), again.get(10, TimeUnit.SECONDS).status());
    }
}
