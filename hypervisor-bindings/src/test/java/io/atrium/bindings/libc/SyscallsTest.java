package io.atrium.bindings.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.testing.Orphans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SyscallsTest {
    private static final Syscalls SYS = new Syscalls();
    private static boolean wasSubreaper;

    @BeforeAll
    static void subreaper() throws Exception {
        wasSubreaper = SYS.isChildSubreaper();
        SYS.setChildSubreaper(true);
    }

    @AfterAll
    static void restore() throws Exception {
        SYS.setChildSubreaper(wasSubreaper);
    }

    @Test
    void errnoExceptionNamesErrnoCallAndArguments() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> SYS.statfs(Path.of("/no/such/atrium/path")));
        assertEquals(2, e.errno());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.is(Errno.ENOENT));
        assertEquals("statfs", e.call());
        assertEquals(java.util.List.of("/no/such/atrium/path"), e.args());
        assertTrue(e.getMessage().contains("statfs(\"/no/such/atrium/path\") failed: ENOENT (2) No such file or directory"),
                e.getMessage());
    }

    @Test
    void errnoTableMatchesKernelNumbers() {
        assertEquals("EBUSY", Errno.nameOf(16));
        assertEquals("ECHILD", Errno.nameOf(10));
        assertEquals("EOPNOTSUPP", Errno.nameOf(95));
        assertEquals("errno 4000", Errno.nameOf(4000));
    }

    @Test
    void statfsReportsFilesystemMagic() throws Exception {
        assertEquals(FsMagic.PROC, SYS.statfs(Path.of("/proc")).type());
        assertEquals("sysfs", SYS.statfs(Path.of("/sys")).typeName());
        StatFs root = SYS.statfs(Path.of("/"));
        assertTrue(root.blockSize() > 0 && root.blocks() > 0, root.toString());
        assertEquals(FsMagic.NSFS, SYS.statfs(Path.of("/proc/self/ns/net")).type());
    }

    @Test
    void gettidIsPerThread() throws Exception {
        int main = SYS.gettid();
        AtomicInteger other = new AtomicInteger();
        Thread t = new Thread(() -> other.set(SYS.gettid()));
        t.start();
        t.join();
        assertNotEquals(main, other.get());
        assertTrue(Files.isDirectory(Path.of("/proc", Integer.toString(SYS.getpid()), "task", Integer.toString(main))));
    }

    @Test
    void killChecksPidAndSignal() throws Exception {
        SYS.kill(SYS.getpid(), 0); // signal 0: existence check only
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.kill(4_000_000, 0)).is(Errno.ESRCH));
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.kill(SYS.getpid(), 999)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.kill(-1, 9)).is(Errno.EINVAL));
    }

    @Test
    void pidfdSignalsTheProcessItWasOpenedFor() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        try (PidFd fd = SYS.pidfdOpen((int) p.pid())) {
            assertEquals(p.pid(), fd.pid());
            SYS.pidfdSendSignal(fd, Signals.SIGTERM);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(128 + Signals.SIGTERM, p.exitValue());
        }
    }

    @Test
    void pidfdOpenRejectsBadPids() {
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.pidfdOpen(-5)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.pidfdOpen(4_000_000)).is(Errno.ESRCH));
    }

    @Test
    void waitidByPidAndByPidfdCollectsOrphanedChildren() throws Exception {
        int a = Orphans.spawn("sleep 0.5; exit 7");
        Optional<ChildState> sa = SYS.waitid(Wait.P_PID, a, Wait.WEXITED);
        assertEquals(new ChildState(a, 0, Wait.CLD_EXITED, 7), sa.orElseThrow());

        int b = Orphans.spawn("exec sleep 30");
        try (PidFd fd = SYS.pidfdOpen(b)) {
            assertTrue(SYS.waitid(Wait.P_PIDFD, fd.fd(), Wait.WEXITED | Wait.WNOHANG).isEmpty(), "still running");
            SYS.pidfdSendSignal(fd, Signals.SIGKILL);
            ChildState sb = SYS.waitid(Wait.P_PIDFD, fd.fd(), Wait.WEXITED).orElseThrow();
            assertTrue(sb.killed());
            assertEquals(Signals.SIGKILL, sb.status());
        }
        assertFalse(Files.exists(Path.of("/proc", Integer.toString(b))), "reaped, no zombie");
    }

    @Test
    void waitidRefusesAnyChildAndReportsEchildForStrangers() {
        assertThrows(RefusedCallException.class, () -> SYS.waitid(Wait.P_ALL, 0, Wait.WEXITED));
        // pid 1 is not our child
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.waitid(Wait.P_PID, 1, Wait.WEXITED | Wait.WNOHANG))
                .is(Errno.ECHILD));
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.waitid(Wait.P_PIDFD, 987654, Wait.WEXITED))
                .is(Errno.EBADF));
    }

    @Test
    void prctlSubreaperAndParentDeathSignal() throws Exception {
        assertTrue(SYS.isChildSubreaper());
        SYS.setParentDeathSignal(Signals.SIGTERM);
        try {
            assertEquals(Signals.SIGTERM, SYS.parentDeathSignal());
        } finally {
            SYS.setParentDeathSignal(0);
        }
        assertEquals(0, SYS.parentDeathSignal());
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.setParentDeathSignal(99)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.prctl(9999, 0, 0, 0, 0)).is(Errno.EINVAL));
    }

    @Test
    void namespaceChangesAreRefusedOnSharedThreads() {
        RefusedCallException e = assertThrows(RefusedCallException.class, () -> SYS.unshare(Sched.CLONE_NEWNET));
        assertTrue(e.getMessage().contains("IsolatedThread"), e.getMessage());
        assertThrows(RefusedCallException.class, () -> SYS.unshare(Sched.CLONE_NEWNS));
        assertThrows(RefusedCallException.class, () -> SYS.sethostname("not-the-host"));
        // never, not even on an isolated thread
        assertThrows(RefusedCallException.class,
                () -> IsolatedThread.call("t", () -> {
                    SYS.unshare(Sched.CLONE_NEWUSER);
                    return null;
                }));
    }

    @Test
    void unshareUtsOnIsolatedThreadLeavesTheHostAlone() throws Exception {
        String host = SYS.gethostname();
        String inside = IsolatedThread.call("uts", () -> {
            SYS.unshare(Sched.CLONE_NEWUTS);
            SYS.sethostname("atrium-uts-test");
            return SYS.gethostname();
        });
        assertEquals("atrium-uts-test", inside);
        assertEquals(host, SYS.gethostname());
    }

    @Test
    void badFlagsAndFdsComeBackAsErrno() throws Exception {
        ErrnoException bad = assertThrows(ErrnoException.class, () -> IsolatedThread.call("t", () -> {
            SYS.unshare(0x1); // not a clone flag unshare accepts
            return null;
        }));
        assertTrue(bad.is(Errno.EINVAL), bad.getMessage());
        ErrnoException notNs = assertThrows(ErrnoException.class, () -> IsolatedThread.call("t", () -> {
            try (NativeFd devnull = SYS.open(Path.of("/dev/null"), FileFlags.O_RDONLY)) {
                SYS.setns(devnull, Sched.CLONE_NEWNET);
            }
            return null;
        }));
        assertTrue(notNs.is(Errno.EINVAL), notNs.getMessage());
        assertTrue(assertThrows(ErrnoException.class, () -> SYS.open(Path.of("/no/such"), FileFlags.O_RDONLY))
                .is(Errno.ENOENT));
        assertTrue(assertThrows(ErrnoException.class,
                () -> SYS.writeFile(Path.of("/proc/sys/kernel/pid_max"), "not-a-number")).is(Errno.EINVAL));
    }
}
