package io.atrium.bindings.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MountsTest {
    private final Syscalls sys = new Syscalls();
    private final Mounts mounts = new Mounts(sys);
    private Path base;

    @BeforeEach
    void dir() throws IOException {
        base = Files.createDirectories(Path.of("/tmp", "atrium-test-" + UUID.randomUUID()));
    }

    @AfterEach
    void cleanup() throws IOException {
        // deepest first, so stacked and nested mounts come off
        List<MountInfo> ours = MountInfo.current().stream()
                .filter(m -> m.mountPoint().startsWith(base))
                .sorted(Comparator.comparingInt(MountInfo::id).reversed()).toList();
        for (MountInfo m : ours) {
            mounts.unmount(m.mountPoint(), MountFlags.MNT_DETACH);
        }
        assertFalse(MountInfo.current().stream().anyMatch(m -> m.mountPoint().startsWith(base)), "mounts left behind");
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private MountInfo mountAt(Path p) throws IOException {
        return MountInfo.current().stream().filter(m -> m.mountPoint().equals(p)).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void tmpfsMountAndUnmount() throws Exception {
        Path t = Files.createDirectory(base.resolve("t"));
        mounts.tmpfs(t, "size=4m,mode=0700");
        assertEquals(FsMagic.TMPFS, sys.statfs(t).type());
        assertTrue(mounts.isMountPoint(t));
        Files.writeString(t.resolve("f"), "x");
        mounts.unmount(t);
        assertFalse(Files.exists(t.resolve("f")), "file lived on the tmpfs");
        assertEquals(FsMagic.EXT4, sys.statfs(t).type());
    }

    @Test
    void bindRbindAndPropagation() throws Exception {
        Path src = Files.createDirectory(base.resolve("src"));
        mounts.tmpfs(src, null);
        Path sub = Files.createDirectory(src.resolve("sub"));
        mounts.tmpfs(sub, null);
        Files.writeString(sub.resolve("deep"), "d");

        Path plain = Files.createDirectory(base.resolve("plain"));
        mounts.bind(src, plain);
        assertFalse(Files.exists(plain.resolve("sub/deep")), "bind does not bring submounts");

        Path rec = Files.createDirectory(base.resolve("rec"));
        mounts.rbind(src, rec);
        assertEquals("d", Files.readString(rec.resolve("sub/deep")));

        mounts.setPropagation(src, Propagation.SHARED, false);
        assertTrue(mountAt(src).isShared());
        Path peer = Files.createDirectory(base.resolve("peer"));
        mounts.bind(src, peer); // a bind of a shared mount joins its peer group
        assertTrue(mountAt(peer).isShared());
        mounts.setPropagation(peer, Propagation.SLAVE, false);
        assertTrue(mountAt(peer).isSlave());
        assertFalse(mountAt(peer).isShared());
        mounts.setPropagation(peer, Propagation.PRIVATE, false);
        assertFalse(mountAt(peer).isSlave() || mountAt(peer).isShared());
    }

    @Test
    void remountReadOnly() throws Exception {
        Path d = Files.createDirectory(base.resolve("ro"));
        mounts.bind(d, d);
        mounts.remountReadOnly(d);
        assertTrue(mountAt(d).isReadOnly());
        assertTrue(sys.statfs(d).readOnly());
        assertThrows(IOException.class, () -> Files.writeString(d.resolve("f"), "x"));
    }

    @Test
    void overlayMergesLayers() throws Exception {
        Path lower = Files.createDirectory(base.resolve("lower"));
        Files.writeString(lower.resolve("from-lower"), "L");
        Path rw = Files.createDirectory(base.resolve("rw"));
        mounts.tmpfs(rw, null);
        Path upper = Files.createDirectory(rw.resolve("upper"));
        Path work = Files.createDirectory(rw.resolve("work"));
        Path merged = Files.createDirectory(base.resolve("merged"));
        mounts.overlay(List.of(lower), upper, work, merged);
        assertEquals(FsMagic.OVERLAYFS, sys.statfs(merged).type());
        assertEquals("L", Files.readString(merged.resolve("from-lower")));
        Files.writeString(merged.resolve("new"), "U");
        assertEquals("U", Files.readString(upper.resolve("new")));
        assertFalse(Files.exists(lower.resolve("new")));
    }

    @Test
    void procMount() throws Exception {
        Path p = Files.createDirectory(base.resolve("proc"));
        mounts.proc(p);
        assertEquals(FsMagic.PROC, sys.statfs(p).type());
        assertTrue(Files.exists(p.resolve("self/status")));
    }

    @Test
    void badMountsRaiseErrno() throws Exception {
        ErrnoException e = assertThrows(ErrnoException.class, () -> mounts.tmpfs(base.resolve("missing"), null));
        assertTrue(e.is(Errno.ENOENT));
        assertEquals("mount", e.call());
        assertTrue(e.args().contains(base.resolve("missing").toString()), e.args().toString());
        Path d = Files.createDirectory(base.resolve("d"));
        assertTrue(assertThrows(ErrnoException.class, () -> mounts.unmount(d)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> mounts.mount("none", d, "no-such-fs", 0, null))
                .is(Errno.ENODEV));
        assertTrue(assertThrows(ErrnoException.class, () -> mounts.tmpfs(d, "size=banana")).is(Errno.EINVAL));
        assertFalse(mounts.isMountPoint(d));
    }

    @Test
    void pivotRootOnlyInAMountNamespaceOfItsOwn() throws Exception {
        assertThrows(RefusedCallException.class, () -> mounts.pivotRoot(base, base.resolve("old")));
        Path newRoot = Files.createDirectory(base.resolve("newroot"));
        String rootType = IsolatedThread.call("pivot", () -> {
            sys.unshare(Sched.CLONE_NEWNS);
            mounts.setPropagation(Path.of("/"), Propagation.PRIVATE, true);
            mounts.tmpfs(newRoot, null);
            Files.createDirectory(newRoot.resolve("old"));
            mounts.pivotRoot(newRoot, newRoot.resolve("old"));
            StatFs st = sys.statfs(Path.of("/"));
            mounts.unmount(Path.of("/old"), MountFlags.MNT_DETACH);
            return st.typeName();
        });
        assertEquals("tmpfs", rootType);
        // the JVM's own namespace never saw any of it
        assertEquals(FsMagic.EXT4, sys.statfs(Path.of("/")).type());
        assertFalse(mounts.isMountPoint(newRoot));
    }
}
