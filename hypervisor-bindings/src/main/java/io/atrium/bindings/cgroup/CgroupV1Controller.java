package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * cgroup v1: one hierarchy per controller, each mounted on its own directory. A cgroup is the same
 * relative path created in every hierarchy this controller manages.
 */
public final class CgroupV1Controller implements CgroupController {
    /** Controllers a pod cgroup is created in, in this order (if mounted). */
    static final List<String> MANAGED = List.of("cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "hugetlb");
    private static final long USER_HZ_NANOS = 10_000_000L; // cpuacct.stat counts USER_HZ (100/s) ticks

    private final CgroupFs fs;
    private final Syscalls sys;
    private final Map<String, Path> mounts;

    /**
     * @param mounts controller name to its hierarchy's mount point (e.g. {@code memory -> /sys/fs/cgroup/memory});
     *               see {@link Cgroups#detect()}
     */
    public CgroupV1Controller(Syscalls sys, Map<String, Path> mounts) {
        this.sys = sys;
        this.fs = new CgroupFs(sys);
        Map<String, Path> m = new LinkedHashMap<>();
        for (String c : MANAGED) {
            if (mounts.containsKey(c)) {
                m.put(c, mounts.get(c));
            }
        }
        this.mounts = Collections.unmodifiableMap(m);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V1;
    }

    /** The controllers (hierarchies) this instance manages. */
    public Set<String> controllers() {
        return mounts.keySet();
    }

    private Path dir(String controller, String cgroup) throws ErrnoException {
        Path root = mounts.get(controller);
        if (root == null) {
            throw new ErrnoException(Errno.EOPNOTSUPP.number(), "cgroup v1 (" + controller + " not mounted)", cgroup);
        }
        return root.resolve(String.join("/", CgroupFs.segments(cgroup)));
    }

    @Override
    public void create(String cgroup) throws IOException {
        List<String> segs = CgroupFs.segments(cgroup);
        List<Path> created = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> e : mounts.entrySet()) {
                Path d = e.getValue();
                for (String s : segs) {
                    Path parent = d;
                    d = d.resolve(s);
                    if (!Files.isDirectory(d)) {
                        fs.mkdir(d);
                        created.add(d);
                        if (e.getKey().equals("cpuset")) {
                            // a new cpuset is empty and refuses tasks until it has cpus and mems
                            inheritCpuset(parent, d);
                        }
                    }
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

    private void inheritCpuset(Path parent, Path child) throws IOException {
        for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
            if (CgroupFs.read(child.resolve(f)).isEmpty()) {
                fs.write(child.resolve(f), CgroupFs.read(parent.resolve(f)));
            }
        }
    }

    @Override
    public boolean exists(String cgroup) throws IOException {
        for (String c : mounts.keySet()) {
            if (Files.isDirectory(dir(c, cgroup))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void delete(String cgroup) throws IOException {
        List<Integer> remaining = allProcesses(cgroup);
        if (!remaining.isEmpty()) {
            throw new CgroupBusyException(cgroup, remaining);
        }
        for (String c : mounts.keySet()) {
            Path d = dir(c, cgroup);
            if (Files.isDirectory(d)) {
                fs.rmdir(d);
            }
        }
    }

    @Override
    public void delete(String cgroup, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allProcesses(cgroup).isEmpty() && System.nanoTime() < deadline) {
            CgroupFs.sleep(20);
        }
        delete(cgroup);
    }

    /** Every pid in the cgroup and below it, over all hierarchies. */
    private List<Integer> allProcesses(String cgroup) throws IOException {
        Set<Integer> pids = new TreeSet<>();
        for (String c : mounts.keySet()) {
            Path d = dir(c, cgroup);
            if (Files.isDirectory(d)) {
                try (var walk = Files.walk(d)) {
                    for (Path p : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                        pids.addAll(CgroupFs.pids(p));
                    }
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
        for (String c : mounts.keySet()) {
            fs.write(dir(c, cgroup).resolve("cgroup.procs"), Integer.toString(pid));
        }
    }

    @Override
    public List<Integer> processes(String cgroup) throws IOException {
        String c = mounts.containsKey("pids") ? "pids" : mounts.keySet().iterator().next();
        return CgroupFs.pids(dir(c, cgroup).resolve("cgroup.procs"));
    }

    @Override
    public void apply(String cgroup, CgroupResources r) throws IOException {
        if (r.cpuShares() != null) {
            fs.write(dir("cpu", cgroup).resolve("cpu.shares"), r.cpuShares().toString());
        }
        if (r.cpuPeriodMicros() != null) {
            fs.write(dir("cpu", cgroup).resolve("cpu.cfs_period_us"), r.cpuPeriodMicros().toString());
        }
        if (r.cpuQuotaMicros() != null) {
            fs.write(dir("cpu", cgroup).resolve("cpu.cfs_quota_us"), r.cpuQuotaMicros().toString());
        }
        if (r.cpusetCpus() != null) {
            fs.write(dir("cpuset", cgroup).resolve("cpuset.cpus"), r.cpusetCpus());
        }
        if (r.cpusetMems() != null) {
            fs.write(dir("cpuset", cgroup).resolve("cpuset.mems"), r.cpusetMems());
        }
        applyMemory(cgroup, r.memoryLimit(), r.memorySwapLimit());
        if (r.pidsLimit() != null) {
            fs.write(dir("pids", cgroup).resolve("pids.max"), r.pidsLimit() < 0 ? "max" : r.pidsLimit().toString());
        }
        for (Map.Entry<String, Long> h : r.hugetlbLimits().entrySet()) {
            fs.write(dir("hugetlb", cgroup).resolve("hugetlb." + h.getKey() + ".limit_in_bytes"),
                    h.getValue().toString());
        }
    }

    private void applyMemory(String cgroup, Long memory, Long swap) throws IOException {
        Path d = dir("memory", cgroup);
        Path memsw = d.resolve("memory.memsw.limit_in_bytes");
        if (swap != null && !Files.exists(memsw)) {
            throw new ErrnoException(Errno.EOPNOTSUPP.number(),
                    "apply(memory+swap: kernel has no swap accounting, memory.memsw.* missing)", cgroup);
        }
        if (memory == null && swap == null) {
            return;
        }
        if (memory == null) {
            fs.write(memsw, swap.toString());
            return;
        }
        if (swap == null) {
            fs.write(d.resolve("memory.limit_in_bytes"), memory.toString());
            return;
        }
        // the kernel requires memory <= memsw at every step: raise memsw first when growing
        try {
            fs.write(d.resolve("memory.limit_in_bytes"), memory.toString());
            fs.write(memsw, swap.toString());
        } catch (ErrnoException e) {
            if (!e.is(Errno.EINVAL)) {
                throw e;
            }
            fs.write(memsw, swap.toString());
            fs.write(d.resolve("memory.limit_in_bytes"), memory.toString());
        }
    }

    @Override
    public CgroupStats stats(String cgroup) throws IOException {
        Path cpuacct = dir("cpuacct", cgroup);
        Map<String, Long> ticks = CgroupFs.flatKeyed(CgroupFs.read(cpuacct.resolve("cpuacct.stat")));
        CgroupStats.Cpu cpu = new CgroupStats.Cpu(CgroupFs.readLong(cpuacct.resolve("cpuacct.usage")),
                ticks.getOrDefault("user", 0L) * USER_HZ_NANOS, ticks.getOrDefault("system", 0L) * USER_HZ_NANOS);
        Path mem = dir("memory", cgroup);
        Map<String, Long> ms = CgroupFs.flatKeyed(CgroupFs.read(mem.resolve("memory.stat")));
        long usage = CgroupFs.readLong(mem.resolve("memory.usage_in_bytes"));
        long limit = CgroupFs.readLong(mem.resolve("memory.limit_in_bytes"));
        CgroupStats.Memory memory = new CgroupStats.Memory(usage,
                CgroupStats.workingSet(usage, ms.getOrDefault("total_inactive_file", 0L)),
                ms.getOrDefault("total_rss", 0L), ms.getOrDefault("total_pgfault", 0L),
                ms.getOrDefault("total_pgmajfault", 0L), limit >= Long.MAX_VALUE - 4096 * 2 ? -1 : limit);
        Path pids = dir("pids", cgroup);
        CgroupStats.Pids p = new CgroupStats.Pids(CgroupFs.readLong(pids.resolve("pids.current")),
                CgroupFs.readLong(pids.resolve("pids.max")));
        Map<String, Long> oom = CgroupFs.flatKeyed(CgroupFs.read(mem.resolve("memory.oom_control")));
        return new CgroupStats(cpu, memory, p, OptionalLong.empty(), oom.getOrDefault("oom_kill", 0L));
    }

    @Override
    public void freeze(String cgroup) throws IOException {
        Path state = dir("freezer", cgroup).resolve("freezer.state");
        fs.write(state, "FROZEN");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!CgroupFs.read(state).equals("FROZEN")) {
            if (System.nanoTime() > deadline) {
                throw new ErrnoException(Errno.ETIMEDOUT.number(), "freeze (still " + CgroupFs.read(state) + ")", cgroup);
            }
            fs.write(state, "FROZEN"); // FREEZING can stall on a task that was forking; writing again retries
            CgroupFs.sleep(5);
        }
    }

    @Override
    public void thaw(String cgroup) throws IOException {
        fs.write(dir("freezer", cgroup).resolve("freezer.state"), "THAWED");
    }

    @Override
    public boolean isFrozen(String cgroup) throws IOException {
        return CgroupFs.read(dir("freezer", cgroup).resolve("freezer.state")).equals("FROZEN");
    }

    @Override
    public void killAll(String cgroup) throws IOException {
        CgroupKill.killFrozen(this, sys, this::allProcesses, cgroup);
        CgroupKill.awaitEmpty(this::allProcesses, cgroup);
    }

    @Override
    public Set<String> hugepageSizes() throws IOException {
        Set<String> sizes = new LinkedHashSet<>();
        Path root = mounts.get("hugetlb");
        if (root != null) {
            try (var s = Files.list(root)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hugetlb.") && n.endsWith(".limit_in_bytes"))
                        .forEach(n -> sizes.add(n.substring("hugetlb.".length(), n.length() - ".limit_in_bytes".length())));
            }
        }
        return sizes;
    }
}
