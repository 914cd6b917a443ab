package io.atrium.bindings.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
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

/**
 * The unified hierarchy for real, as far as this host allows: on a hybrid host the cpu, memory and
 * pids controllers are bound to v1, so only core features (create, move, freeze, kill, cpu.stat) and
 * controllers left free for v2 (hugetlb here) can be exercised. The rest is covered by
 * {@link CgroupV2StatsTest} with real-format files.
 */
class CgroupV2ControllerTest {
    private final Syscalls sys = new Syscalls();
    private final List<Process> started = new ArrayList<>();
    private CgroupV2Controller cg;
    private String base;
    private boolean enabledHugetlb;

    @BeforeEach
    void setUp() throws IOException {
        cg = Cgroups.unified(sys).orElse(null);
        assumeTrue(cg != null, "no cgroup2 (unified) hierarchy mounted on this host");
        base = "atrium-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : started) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (cg == null) {
            return;
        }
        for (String c : List.of(base + "/ctr", base)) {
            if (cg.exists(c)) {
                cg.delete(c, Duration.ofSeconds(5));
            }
        }
        assertFalse(cg.exists(base));
        if (enabledHugetlb) {
            sys.writeFile(cg.root().resolve("cgroup.subtree_control"), "-hugetlb");
        }
    }

    private Process gated(String command) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "read go; " + command).start();
        started.add(p);
        return p;
    }

    @Test
    void createMoveFreezeKillDelete() throws Exception {
        String ctr = base + "/ctr";
        cg.create(ctr);
        assertTrue(cg.exists(ctr));
        Process p = gated("while :; do :; done");
        cg.addProcess(ctr, (int) p.pid());
        assertEquals(List.of((int) p.pid()), cg.processes(ctr));
        assertTrue(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cgroup")).contains("0::/" + ctr));
        p.getOutputStream().write("go\n".getBytes());
        p.getOutputStream().flush();
        Thread.sleep(200);

        CgroupStats s = cg.stats(ctr);
        assertTrue(s.cpu().usageNanos() > 0, "cpu.stat is a core file: " + s.cpu());

        cg.freeze(ctr);
        assertTrue(cg.isFrozen(ctr));
        long a = cg.stats(ctr).cpu().usageNanos();
        Thread.sleep(300);
        assertEquals(a, cg.stats(ctr).cpu().usageNanos(), "frozen: no CPU");
        cg.thaw(ctr);
        assertFalse(cg.isFrozen(ctr));

        CgroupBusyException busy = assertThrows(CgroupBusyException.class, () -> cg.delete(base));
        assertEquals(List.of((int) p.pid()), busy.pids());

        cg.killAll(base); // cgroup.kill on the parent takes the subtree
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue());
        cg.delete(ctr);
        cg.delete(base);
        assertFalse(cg.exists(base));
    }

    @Test
    void controllersBoundToV1AreRefusedByName() throws Exception {
        cg.create(base);
        assumeTrue(!cg.controllers(base).contains("memory"), "memory is enabled in v2 here; nothing to refuse");
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> cg.apply(base, CgroupResources.builder().memory(64L << 20).build()));
        assertTrue(e.is(Errno.EOPNOTSUPP));
        assertTrue(e.call().contains("memory controller not enabled"), e.getMessage());
        assertTrue(assertThrows(ErrnoException.class, () -> cg.addProcess(base, 4_000_000)).is(Errno.ESRCH));
        assertTrue(assertThrows(ErrnoException.class, () -> cg.create(base + "/..")).is(Errno.EINVAL));
    }

    @Test
    void hugetlbLimitWhereTheKernelOffersIt() throws Exception {
        Path rootControllers = cg.root().resolve("cgroup.controllers");
        assumeTrue(Files.readString(rootControllers).contains("hugetlb"),
                "hugetlb is not available to the unified hierarchy here (" + rootControllers + ")");
        assumeTrue(cg.hugepageSizes().contains("2MB"), "no 2MB huge pages on this machine");
        if (!Files.readString(cg.root().resolve("cgroup.subtree_control")).contains("hugetlb")) {
            sys.writeFile(cg.root().resolve("cgroup.subtree_control"), "+hugetlb");
            enabledHugetlb = true;
        }
        String ctr = base + "/ctr";
        cg.create(ctr); // delegates hugetlb from base to ctr
        assertTrue(cg.controllers(ctr).contains("hugetlb"), cg.controllers(ctr).toString());
        cg.apply(ctr, CgroupResources.builder().hugetlb(Map.of("2MB", 4L << 21)).build());
        assertEquals(Long.toString(4L << 21), Files.readString(cg.root().resolve(ctr).resolve("hugetlb.2MB.max")).strip());
        ErrnoException bad = assertThrows(ErrnoException.class,
                () -> cg.apply(ctr, CgroupResources.builder().hugetlb(Map.of("3MB", 1L)).build()));
        assertTrue(bad.is(Errno.ENOENT), bad.getMessage());
    }
}
