package io.atrium.bindings.cgroup;

import java.util.OptionalLong;

/**
 * A snapshot of one cgroup's usage.
 *
 * @param oomEvents times the limit was hit and the OOM killer ran (v2 memory.events {@code oom});
 *                  v1 does not count these
 * @param oomKills  processes killed by the OOM killer in this cgroup
 */
public record CgroupStats(Cpu cpu, Memory memory, Pids pids, OptionalLong oomEvents, long oomKills) {

    /** CPU time consumed, nanoseconds. */
    public record Cpu(long usageNanos, long userNanos, long systemNanos) {
    }

    /**
     * Memory in bytes.
     *
     * @param workingSet usage minus inactive file pages, floored at 0, as the kubelet computes it
     * @param rss        anonymous memory (v1 total_rss, v2 anon)
     * @param limit      -1 for none
     */
    public record Memory(long usage, long workingSet, long rss, long pageFaults, long majorPageFaults, long limit) {
    }

    /** Tasks; {@code limit} -1 for none. */
    public record Pids(long current, long limit) {
    }

    static long workingSet(long usage, long inactiveFile) {
        return Math.max(0, usage - inactiveFile);
    }
}
