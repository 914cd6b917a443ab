package io.atrium.engine.runtime;

import java.time.Instant;

/** Nanoseconds since the epoch, the CRI's time unit. */
final class Clock {
    private Clock() {}

    static long nowNanos() {
        return nanos(Instant.now());
    }

    static long nanos(Instant t) {
        return t == null ? nowNanos() : t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
