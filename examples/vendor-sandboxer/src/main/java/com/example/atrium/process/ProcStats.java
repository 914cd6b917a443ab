package com.example.atrium.process;

import io.atrium.sandbox.api.ContainerStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Resource usage summed over a container's processes, read from /proc. Without a cgroup this is
 * a snapshot of live processes only: CPU time of exited children is not counted.
 */
final class ProcStats {

    /** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture Atrium runs on. */
    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;

    private ProcStats() {
    }

    static ContainerStats of(List<Long> pids) {
        long cpuTicks = 0;
        long rssBytes = 0;
        long faults = 0;
        long majorFaults = 0;
        long counted = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // Fields after the command name, which is in parentheses and may contain spaces.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                faults += Long.parseLong(f[7]);
                majorFaults += Long.parseLong(f[9]);
                cpuTicks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                rssBytes += Long.parseLong(f[21]) * 4096;
                counted++;
            } catch (IOException | RuntimeException e) {
                // the process exited between listing and reading: it no longer uses anything
            }
        }
        return new ContainerStats(Instant.now(), cpuTicks * NANOS_PER_TICK, rssBytes, rssBytes, rssBytes, faults, majorFaults,
                counted, 0);
    }
}
