package io.atrium.bindings.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CgroupV1ControllerTest {
    private final Syscalls sys = new Syscalls();
    private final List<Process> started = new ArrayList<>();
    private CgroupV1Controller cg;
    private String base;

    @BeforeEach
    void setUp() throws IOException {
        CgroupController detected = Cgroups.detect(sys);
        assumeTrue(detected.version() == CgroupVersion.V1, "host runs cgroup v2 only; v1 cannot be exercised here");
        cg = (CgroupV1Controller) detected;
        base = "atrium-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : started) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (cg != null && cg.exists(base)) {
            deleteTree(base);
        }
        if (cg != null) {
            assertFalse(cg.exists(base), "test cgroup left behind");
        }
    }

    private void deleteTree(String cgroup) throws IOException {
        Path mem = Cgroups.v1Mounts(MountInfo.current()).get("memory").resolve(cgroup);
        if (Files.isDirectory(mem)) {
            try (var s = Files.list(mem)) {
                for (Path child : s.filter(Files::isDirectory).toList()) {
                    deleteTree(cgroup + "/" + child.getFileName());
                }
            }
        }
        if (!cg.processes(cgroup).isEmpty()) {
            cg.killAll(cgroup);
        }
        cg.delete(cgroup, Duration.ofSeconds(5));
    }

    /** A shell that waits for a line on stdin before running {@code command}, so it can be moved first. */
    private Process gated(String command) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "read go; " + command).start();
        started.add(p);
        return p;
    }

    private static void release(Process p) throws IOException {
        p.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
    }

    @Test
    void detectsEveryMountedV1Controller() {
        assertTrue(cg.controllers().containsAll(List.of("cpu", "cpuacct", "cpuset", "memory", "pids", "freezer")),
                cg.controllers().toString());
    }

    @Test
    void createNestedMoveLimitsAndStats() throws Exception {
        String ctr = base + "/pod/ctr";
        cg.create(ctr);
        assertTrue(cg.exists(ctr));
        cg.apply(ctr, CgroupResources.builder().cpuShares(512).cpuQuota(50_000, 100_000).cpuset("0", "0")
                .memory(64L << 20).memorySwap(64L << 20).pids(32).build());
        Map<String, Path> m = Cgroups.v1Mounts(MountInfo.current());
        assertEquals("512", Files.readString(m.get("cpu").resolve(ctr).resolve("cpu.shares")).strip());
        assertEquals("50000", Files.readString(m.get("cpu").resolve(ctr).resolve("cpu.cfs_quota_us")).strip());
        assertEquals("0", Files.readString(m.get("cpuset").resolve(ctr).resolve("cpuset.cpus")).strip());
        assertEquals(Long.toString(64L << 20),
                Files.readString(m.get("memory").resolve(ctr).resolve("memory.memsw.limit_in_bytes")).strip());

        Process p = gated("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; dd if=/dev/zero of=/dev/null bs=8M count=2 2>/dev/null");
        cg.addProcess(ctr, (int) p.pid());
        assertEquals(List.of((int) p.pid()), cg.processes(ctr));
        assertTrue(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cgroup")).contains("memory:/" + ctr));
        CgroupStats running = cg.stats(ctr);
        assertEquals(1, running.pids().current());
        assertEquals(32, running.pids().limit());
        release(p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());

        CgroupStats s = cg.stats(ctr);
        assertTrue(s.cpu().usageNanos() > 10_000_000L, "busy loop used CPU: " + s.cpu());
        assertTrue(s.cpu().userNanos() + s.cpu().systemNanos() > 0, s.cpu().toString());
        assertEquals(64L << 20, s.memory().limit());
        assertTrue(s.memory().pageFaults() > 0, s.memory().toString());
        assertTrue(s.memory().workingSet() <= s.memory().usage());
        assertEquals(0, s.pids().current());
        assertEquals(0, s.oomKills());
        assertTrue(s.oomEvents().isEmpty(), "v1 does not count OOM events");

        cg.delete(ctr);
        assertFalse(cg.exists(ctr));
        assertTrue(cg.exists(base + "/pod"), "only the leaf went");
    }

    @Test
    void oomKillIsCounted() throws Exception {
        cg.create(base);
        boolean swapAccounting = Files.exists(Cgroups.v1Mounts(MountInfo.current()).get("memory")
                .resolve(base).resolve("memory.memsw.limit_in_bytes"));
        CgroupResources.Builder limits = CgroupResources.builder().memory(16L << 20);
        cg.apply(base, (swapAccounting ? limits.memorySwap(16L << 20) : limits).build());
        Process p = gated("exec tail /dev/zero"); // tail buffers an endless line: grows until killed
        cg.addProcess(base, (int) p.pid());
        release(p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), "SIGKILLed by the OOM killer");
        assertTrue(cg.stats(base).oomKills() >= 1);
    }

    @Test
    void freezeStopsAndThawResumes() throws Exception {
        cg.create(base);
        Process p = gated("while :; do :; done");
        cg.addProcess(base, (int) p.pid());
        release(p);
        Thread.sleep(100);
        cg.freeze(base);
        assertTrue(cg.isFrozen(base));
        long a = cg.stats(base).cpu().usageNanos();
        Thread.sleep(300);
        long b = cg.stats(base).cpu().usageNanos();
        assertEquals(a, b, "a frozen busy loop uses no CPU");
        cg.thaw(base);
        assertFalse(cg.isFrozen(base));
        Thread.sleep(300);
        assertTrue(cg.stats(base).cpu().usageNanos() > b, "thawed loop runs again");
    }

    @Test
    void deleteRefusesWhileProcessesRemainAndKillAllEmptiesIt() throws Exception {
        cg.create(base + "/child");
        Process a = gated("sleep 60");
        Process b = gated("sleep 60");
        cg.addProcess(base, (int) a.pid());
        cg.addProcess(base + "/child", (int) b.pid());
        CgroupBusyException busy = assertThrows(CgroupBusyException.class, () -> cg.delete(base + "/child"));
        assertEquals(List.of((int) b.pid()), busy.pids());
        assertTrue(busy.is(Errno.EBUSY));
        assertThrows(CgroupBusyException.class, () -> cg.delete(base + "/child", Duration.ofMillis(200)));

        cg.killAll(base); // the whole subtree
        assertTrue(a.waitFor(10, TimeUnit.SECONDS));
        assertTrue(b.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, a.exitValue());
        assertEquals(137, b.exitValue());
        assertTrue(cg.processes(base).isEmpty());
        cg.delete(base + "/child");
        cg.delete(base);
        assertFalse(cg.exists(base));
    }

    @Test
    void badInputRaisesErrnoAndHalfMadeCgroupsAreRemoved() throws Exception {
        assertTrue(assertThrows(ErrnoException.class, () -> cg.create("../etc")).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.create("/abs")).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.create("a//b")).is(Errno.EINVAL));
        // memory.limit_in_bytes is a file in the memory hierarchy only: cpu, cpuacct, cpuset get the
        // directory, then memory fails; the three must be rolled back
        cg.create(base);
        String clash = base + "/memory.limit_in_bytes";
        ErrnoException e = assertThrows(ErrnoException.class, () -> cg.create(clash));
        assertEquals("mkdir", e.call());
        assertTrue(e.is(Errno.EEXIST), e.getMessage());
        Map<String, Path> m = Cgroups.v1Mounts(MountInfo.current());
        for (String c : List.of("cpu", "cpuacct", "cpuset")) {
            assertFalse(Files.isDirectory(m.get(c).resolve(clash)), c + " rolled back");
        }
        assertTrue(assertThrows(ErrnoException.class,
                () -> cg.apply(base, CgroupResources.builder().cpuset("4095", null).build())).is(Errno.ERANGE),
                "a cpu this machine does not have");
        assertTrue(assertThrows(ErrnoException.class,
                () -> cg.apply(base, CgroupResources.builder().memory(-5).build())).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.addProcess(base, 4_000_000)).is(Errno.ESRCH));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.addProcess(base, -1)).is(Errno.EINVAL));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.stats(base + "/missing")).is(Errno.ENOENT));
        assertTrue(assertThrows(ErrnoException.class,
                () -> cg.apply(base, CgroupResources.builder().hugetlb(Map.of("2MB", 1L << 21)).build()))
                .is(Errno.EOPNOTSUPP), "no hugetlb v1 hierarchy here");
        assertInstanceOf(CgroupV1Controller.class, cg);
    }
}
