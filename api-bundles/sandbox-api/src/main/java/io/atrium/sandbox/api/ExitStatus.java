package io.atrium.sandbox.api;

import java.time.Instant;

/**
 * How a process or sandbox ended.
 *
 * @param code exit code; {@link #UNKNOWN_CODE} when nobody could observe it (for example a
 *     process that exited while no node was running)
 * @param signal terminating signal, 0 when it exited normally
 * @param exitedAt when the exit was observed
 * @param reason short reason such as {@code Completed}, {@code Error}, {@code OOMKilled}
 */
public record ExitStatus(int code, int signal, Instant exitedAt, String reason) {
    public static final int UNKNOWN_CODE = 255;

    public static ExitStatus of(int code, Instant at) {
        return new ExitStatus(code, 0, at, code == 0 ? "Completed" : "Error");
    }

    public static ExitStatus unknown(Instant at, String reason) {
        return new ExitStatus(UNKNOWN_CODE, 0, at, reason);
    }
}
