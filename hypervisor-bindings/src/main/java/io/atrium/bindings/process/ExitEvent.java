package io.atrium.bindings.process;

import java.time.Instant;

/**
 * A watched process ended.
 *
 * @param pid      the process
 * @param status   its exit status, {@link ExitStatus.Unknown} for an adopted non-child
 * @param observed when the reaper saw the exit
 * @param adopted  true if it was registered with {@link ProcessReaper#adopt(int)}
 */
public record ExitEvent(int pid, ExitStatus status, Instant observed, boolean adopted) {
}
