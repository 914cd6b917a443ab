package io.atrium.engine.runtime.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bounds for oom_score_adj. A process may not lower its children's score below its own without
 * CAP_SYS_RESOURCE, and on nodes that refuse negative values (as this one does) asking for less
 * would fail the container; so, like containerd's restrict_oom_score_adj, a request below the
 * node's own value is raised to it.
 */
public record OomScoreAdj(int floor) {
    public static final int MAX = 1000;

    /** The node JVM's own value, read from {@code /proc/self/oom_score_adj}. */
    public static OomScoreAdj ofThisProcess() {
        try {
            return new OomScoreAdj(Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim()));
        } catch (IOException | NumberFormatException e) {
            return new OomScoreAdj(0);
        }
    }

    public int clamp(long requested) {
        return (int) Math.min(MAX, Math.max(floor, requested));
    }
}
