package io.atrium.bindings.cgroup;

import java.util.Map;
import java.util.OptionalLong;

/**
 * Turns cgroup v2 interface files into {@link CgroupStats}. Separate from the controller so the
 * formats can be checked against captured files where a controller is not enabled.
 */
public final class CgroupV2Stats {
    private CgroupV2Stats() {
    }

    /**
     * @param files interface file name (e.g. {@code memory.stat}) to its content; missing files
     *              (controller not enabled) read as zero / no limit
     */
    public static CgroupStats parse(Map<String, String> files) {
        Map<String, Long> cpu = CgroupFs.flatKeyed(files.getOrDefault("cpu.stat", ""));
        CgroupStats.Cpu c = new CgroupStats.Cpu(cpu.getOrDefault("usage_usec", 0L) * 1000,
                cpu.getOrDefault("user_usec", 0L) * 1000, cpu.getOrDefault("system_usec", 0L) * 1000);

        Map<String, Long> ms = CgroupFs.flatKeyed(files.getOrDefault("memory.stat", ""));
        long usage = limit(files.get("memory.current"), 0);
        CgroupStats.Memory m = new CgroupStats.Memory(usage,
                CgroupStats.workingSet(usage, ms.getOrDefault("inactive_file", 0L)), ms.getOrDefault("anon", 0L),
                ms.getOrDefault("pgfault", 0L), ms.getOrDefault("pgmajfault", 0L), limit(files.get("memory.max"), -1));

        CgroupStats.Pids p = new CgroupStats.Pids(limit(files.get("pids.current"), 0), limit(files.get("pids.max"), -1));

        String eventsFile = files.get("memory.events");
        Map<String, Long> ev = CgroupFs.flatKeyed(eventsFile == null ? "" : eventsFile);
        OptionalLong oom = eventsFile == null ? OptionalLong.empty() : OptionalLong.of(ev.getOrDefault("oom", 0L));
        return new CgroupStats(c, m, p, oom, ev.getOrDefault("oom_kill", 0L));
    }

    private static long limit(String content, long absent) {
        return content == null || content.isBlank() ? absent : CgroupFs.parseLimit(content.strip());
    }

    /** runc's conversion of v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000]. */
    public static long sharesToWeight(long shares) {
        if (shares == 0) {
            return 0;
        }
        return 1 + ((shares - 2) * 9999) / 262142;
    }
}
