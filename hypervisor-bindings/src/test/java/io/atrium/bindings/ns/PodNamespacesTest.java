package io.atrium.bindings.ns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FsMagic;
import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PodNamespacesTest {
    private static final EnumSet<NamespaceType> ALL = EnumSet.allOf(NamespaceType.class);
    private final Syscalls sys = new Syscalls();
    private final Mounts mounts = new Mounts(sys);
    private Path state;

    @BeforeEach
    void dir() throws IOException {
        state = Files.createDirectories(Path.of("/tmp", "atrium-test-" + UUID.randomUUID()));
    }

    @AfterEach
    void cleanup() throws IOException {
        for (MountInfo m : MountInfo.current()) {
            if (m.mountPoint().startsWith(state)) {
                mounts.unmount(m.mountPoint(), 2);
            }
        }
        try (var s = Files.walk(state)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    private boolean anyMountUnder(Path dir) throws IOException {
        return MountInfo.current().stream().anyMatch(m -> m.mountPoint().startsWith(dir));
    }

    @ParameterizedTest
    @EnumSource(PinMethod.class)
    void pinnedNamespacesAreNewUsableAndReleasedCleanly(PinMethod method) throws Exception {
        PodNamespaces pods = new PodNamespaces(sys, mounts, state, method);
        PinnedNamespaces ns = pods.pin("pod-a", ALL);
        for (NamespaceType t : ALL) {
            Path f = ns.path(t);
            assertEquals(FsMagic.NSFS, sys.statfs(f).type(), t + " pinned");
            Object pinnedInode = Files.getAttribute(f, "unix:ino");
            Object hostInode = Files.getAttribute(Path.of("/proc/self/ns", t.procName()), "unix:ino");
            assertNotEquals(hostInode, pinnedInode, t + " is a new namespace");
        }
        // only lo, seen from outside (nsenter, as `ip netns exec` does) ...
        String links = run("nsenter", "--net=" + ns.path(NamespaceType.NET), "ip", "-o", "link");
        assertEquals(1, links.strip().lines().count(), links);
        assertTrue(links.startsWith("1: lo:"), links);
        // ... and from Java inside it
        List<String> ifaces = pods.run(ns, () -> {
            List<String> names = new ArrayList<>();
            for (String l : Files.readAllLines(Path.of("/proc/thread-self/net/dev"))) {
                if (l.contains(":")) {
                    names.add(l.substring(0, l.indexOf(':')).strip());
                }
            }
            return names;
        });
        assertEquals(List.of("lo"), ifaces);

        String host = sys.gethostname();
        pods.setHostname(ns, "pod-a-host");
        assertEquals("pod-a-host", run("nsenter", "--uts=" + ns.path(NamespaceType.UTS), "hostname").strip());
        assertEquals("pod-a-host", pods.run(ns, sys::gethostname));
        assertEquals(host, sys.gethostname());
        assertTrue(sys.sameNamespaceAsProcess("net"), "the calling thread never moved");

        assertEquals(ns, pods.recover("pod-a").orElseThrow());

        pods.release(ns);
        assertFalse(anyMountUnder(ns.dir()), "no mount left in mountinfo");
        assertFalse(Files.exists(ns.dir()), "no file left");
        pods.release(ns); // idempotent
        assertTrue(pods.recover("pod-a").isEmpty());
    }

    @ParameterizedTest
    @EnumSource(PinMethod.class)
    void failureHalfWayLeavesNothingBehind(PinMethod method) throws Exception {
        // turn the last pin target into a directory: net and ipc get pinned, then uts fails for real
        PodNamespaces pods = new PodNamespaces(sys, mounts, state, method, files -> {
            Path uts = files.get(NamespaceType.UTS);
            Files.delete(uts);
            Files.createDirectory(uts);
        });
        Exception e = assertThrows(IOException.class, () -> pods.pin("pod-b", ALL));
        if (method == PinMethod.THREAD) {
            ErrnoException errno = (ErrnoException) e;
            assertEquals("mount", errno.call());
            assertTrue(errno.is(Errno.ENOTDIR), errno.getMessage());
        }
        assertFalse(anyMountUnder(state.resolve("pod-b")), "half-made pins unmounted");
        assertFalse(Files.exists(state.resolve("pod-b")), "pod dir removed");
    }

    @ParameterizedTest
    @EnumSource(PinMethod.class)
    void secondPinOfAPodFailsWithoutTouchingTheFirst(PinMethod method) throws Exception {
        PodNamespaces pods = new PodNamespaces(sys, mounts, state, method);
        PinnedNamespaces ns = pods.pin("pod-c", EnumSet.of(NamespaceType.NET));
        assertThrows(FileAlreadyExistsException.class, () -> pods.pin("pod-c", EnumSet.of(NamespaceType.NET)));
        assertEquals(FsMagic.NSFS, sys.statfs(ns.path(NamespaceType.NET)).type());
        pods.release(ns);
        assertFalse(Files.exists(ns.dir()));
    }

    @ParameterizedTest
    @EnumSource(PinMethod.class)
    void badInput(PinMethod method) throws Exception {
        PodNamespaces pods = new PodNamespaces(sys, mounts, state, method);
        assertThrows(IllegalArgumentException.class, () -> pods.pin("../escape", ALL));
        assertThrows(IllegalArgumentException.class, () -> pods.pin("ok", EnumSet.noneOf(NamespaceType.class)));
        PinnedNamespaces ns = pods.pin("pod-d", EnumSet.of(NamespaceType.NET));
        assertThrows(IllegalArgumentException.class, () -> pods.setHostname(ns, "x"), "UTS not pinned");
        pods.release(ns);
        ErrnoException gone = assertThrows(ErrnoException.class, () -> pods.run(ns, () -> null));
        assertTrue(gone.is(Errno.ENOENT), gone.getMessage());
    }
}
