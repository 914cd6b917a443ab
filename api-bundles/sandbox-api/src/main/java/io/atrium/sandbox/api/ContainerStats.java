package io.atrium.sandbox.api;

import java.time.Instant;

/**
 * Resource usage of one container, as kubelet reads it.
 *
 * @param workingSetBytes memory usage minus inactive file pages
 */
public record ContainerStats(Instant timestamp, long cpuUsageNanos, long memoryUsageBytes, long workingSetBytes,
        long rssBytes, long pageFaults, long majorPageFaults, long pids, long oomKills) {
}
