package io.atrium.sandbox.api;

import java.time.Instant;

/** Resource usage of a whole sandbox. */
public record SandboxMetrics(Instant timestamp, long cpuUsageNanos, long memoryUsageBytes,
        long memoryWorkingSetBytes, long pids) {
}
