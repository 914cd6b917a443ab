package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * cgroup v2: one unified hierarchy. Controllers are usable in a cgroup only when its parent lists them
 * in {@code cgroup.subtree_control}; settings for a controller that is not enabled fail with
 * EOPNOTSUPP naming it. Freeze and kill are core features and always work.
 */
public final class CgroupV2Controller implements CgroupController {
    private static final List<String> STAT_FILES = List.of("cpu.stat", "memory.current", "memory.stat", "memory.max",
            "memory.events", "pids.current", "pids.max");

    private final Syscalls sys;
    private final CgroupFs fs;
    private final Path root;

    /** @param root the unified hierarchy's mount point, e.g. {@code /sys/fs/cgroup} */
    public CgroupV2Controller(Syscalls sys, Path root) {
        this.sys = sys;
        this.fs = new CgroupFs(sys);
        this.root = root;
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V2;
    }

    public Path root() {
        return root;
    }

    private Path dir(String cgroup) throws ErrnoException {
        return root.resolve(String.join("/", CgroupFs.segments(cgroup)));
    }

    /** Controllers available in {@code cgroup} (its {@code cgroup.controllers}). */
    public Set<String> controllers(String cgroup) throws IOException {
        return words(CgroupFs.read(dir(cgroup).resolve("cgroup.controllers")));
    }

    private static Set<String> words(String s) {
        return s.isBlank() ? Set.of() : new LinkedHashSet<>(Arrays.asList(s.strip().split("\\s+")));
    }

    @Override
    public void create(String cgroup) throws IOException {
        List<Path> created = new ArrayList<>();
        Path d = root;
        try {
            for (String s : CgroupFs.segments(cgroup)) {
                Path parent = d;
                d = d.resolve(s);
                if (!Files.isDirectory(d)) {
                    if (!parent.equals(root)) {
                        delegate(parent);
                    }
                    fs.mkdir(d);
                    created.add(d);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                try {
                    fs.rmdir(created.get(i));
                } catch (ErrnoException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Passes every controller a parent has on to its children (never at the root: that is the operator's call). */
    private void delegate(Path parent) throws IOException {
        Set<String> available = words(CgroupFs.read(parent.resolve("cgroup.controllers")));
        Set<String> enabled = words(CgroupFs.read(parent.resolve("cgroup.subtree_control")));
        for (String c : available) {
            if (!enabled.contains(c)) {
                try {
                    fs.write(parent.resolve("cgroup.subtree_control"), "+" + c);
                } catch (ErrnoException e) {
                    // EBUSY: the parent holds processes itself ("no internal processes" rule); children go without
                    if (!e.is(Errno.EBUSY)) {
                        throw e;
                    }
                }
            }
        }
    }

    @Override
    public boolean exists(String cgroup) throws IOException {
        return Files.isDirectory(dir(cgroup));
    }

    @Override
    public void delete(String cgroup) throws IOException {
        List<Integer> left = allProcesses(cgroup);
        if (!left.isEmpty()) {
            throw new CgroupBusyException(cgroup, left);
        }
        fs.rmdir(dir(cgroup));
    }

    @Override
    public void delete(String cgroup, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allProcesses(cgroup).isEmpty() && System.nanoTime() < deadline) {
            CgroupFs.sleep(20);
        }
        delete(cgroup);
    }

    private List<Integer> allProcesses(String cgroup) throws IOException {
        Set<Integer> pids = new TreeSet<>();
        Path d = dir(cgroup);
        if (Files.isDirectory(d)) {
            try (var walk = Files.walk(d)) {
                for (Path p : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                    pids.addAll(CgroupFs.pids(p));
                }
            }
        }
        return new ArrayList<>(pids);
    }

    @Override
    public void addProcess(String cgroup, int pid) throws IOException {
        if (pid <= 0) {
            throw new ErrnoException(Errno.EINVAL.number(), "addProcess", cgroup, pid);
        }
        fs.write(dir(cgroup).resolve("cgroup.procs"), Integer.toString(pid));
    }

    @Override
    public List<Integer> processes(String cgroup) throws IOException {
        return CgroupFs.pids(dir(cgroup).resolve("cgroup.procs"));
    }

    @Override
    public void apply(String cgroup, CgroupResources r) throws IOException {
        Path d = dir(cgroup);
        if (r.cpuShares() != null) {
            write(d, "cpu", "cpu.weight", Long.toString(CgroupV2Stats.sharesToWeight(r.cpuShares())));
        }
        if (r.cpuQuotaMicros() != null || r.cpuPeriodMicros() != null) {
            String quota = r.cpuQuotaMicros() == null || r.cpuQuotaMicros() < 0 ? "max" : r.cpuQuotaMicros().toString();
            write(d, "cpu", "cpu.max", r.cpuPeriodMicros() == null ? quota : quota + " " + r.cpuPeriodMicros());
        }
        if (r.cpusetCpus() != null) {
            write(d, "cpuset", "cpuset.cpus", r.cpusetCpus());
        }
        if (r.cpusetMems() != null) {
            write(d, "cpuset", "cpuset.mems", r.cpusetMems());
        }
        if (r.memoryLimit() != null) {
            write(d, "memory", "memory.max", max(r.memoryLimit()));
        }
        if (r.memorySwapLimit() != null) {
            // v2 limits swap alone; OCI gives memory+swap
            long swap = r.memorySwapLimit() < 0 ? -1
                    : r.memorySwapLimit() - (r.memoryLimit() == null ? 0 : Math.max(0, r.memoryLimit()));
            if (r.memorySwapLimit() >= 0 && swap < 0) {
                throw new ErrnoException(Errno.EINVAL.number(), "apply(memory+swap below memory)", cgroup,
                        r.memorySwapLimit(), r.memoryLimit());
            }
            write(d, "memory", "memory.swap.max", max(swap));
        }
        if (r.pidsLimit() != null) {
            write(d, "pids", "pids.max", max(r.pidsLimit()));
        }
        for (Map.Entry<String, Long> h : r.hugetlbLimits().entrySet()) {
            write(d, "hugetlb", "hugetlb." + h.getKey() + ".max", max(h.getValue()));
        }
    }

    private static String max(long v) {
        return v < 0 ? "max" : Long.toString(v);
    }

    private void write(Path d, String controller, String file, String value) throws IOException {
        if (!words(CgroupFs.read(d.resolve("cgroup.controllers"))).contains(controller)) {
            throw new ErrnoException(Errno.EOPNOTSUPP.number(), "apply(" + controller
                    + " controller not enabled for this cgroup: not in its cgroup.controllers)", d.toString(), file, value);
        }
        fs.write(d.resolve(file), value);
    }

    @Override
    public CgroupStats stats(String cgroup) throws IOException {
        Path d = dir(cgroup);
        if (!Files.isDirectory(d)) {
            throw new ErrnoException(Errno.ENOENT.number(), "stats", cgroup);
        }
        Map<String, String> files = new HashMap<>();
        for (String f : STAT_FILES) {
            Path p = d.resolve(f);
            if (Files.exists(p)) {
                files.put(f, Files.readString(p));
            }
        }
        return CgroupV2Stats.parse(files);
    }

    @Override
    public void freeze(String cgroup) throws IOException {
        Path d = dir(cgroup);
        fs.write(d.resolve("cgroup.freeze"), "1");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!isFrozen(cgroup)) {
            if (System.nanoTime() > deadline) {
                throw new ErrnoException(Errno.ETIMEDOUT.number(), "freeze (cgroup.events frozen 0)", cgroup);
            }
            CgroupFs.sleep(5);
        }
    }

    @Override
    public void thaw(String cgroup) throws IOException {
        fs.write(dir(cgroup).resolve("cgroup.freeze"), "0");
    }

    @Override
    public boolean isFrozen(String cgroup) throws IOException {
        return CgroupFs.flatKeyed(CgroupFs.read(dir(cgroup).resolve("cgroup.events"))).getOrDefault("frozen", 0L) == 1;
    }

    @Override
    public void killAll(String cgroup) throws IOException {
        Path kill = dir(cgroup).resolve("cgroup.kill");
        if (Files.exists(kill)) {
            fs.write(kill, "1"); // kernel ≥ 5.14: kills the whole subtree atomically
        } else {
            CgroupKill.killFrozen(this, sys, this::allProcesses, cgroup);
        }
        CgroupKill.awaitEmpty(this::allProcesses, cgroup);
    }

    @Override
    public Set<String> hugepageSizes() throws IOException {
        Set<String> sizes = new LinkedHashSet<>();
        if (!words(CgroupFs.read(root.resolve("cgroup.controllers"))).contains("hugetlb")) {
            return sizes;
        }
        try (var s = Files.list(Path.of("/sys/kernel/mm/hugepages"))) {
            for (Path p : s.toList()) {
                // hugepages-2048kB -> 2MB, the name cgroupfs uses
                long kb = Long.parseLong(p.getFileName().toString().replace("hugepages-", "").replace("kB", ""));
                sizes.add(kb >= 1 << 20 ? (kb >> 20) + "GB" : kb >= 1024 ? (kb >> 10) + "MB" : kb + "KB");
            }
        }
        return sizes;
    }
}
