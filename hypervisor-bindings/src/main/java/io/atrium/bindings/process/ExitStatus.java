package io.atrium.bindings.process;

/** How a process ended, as far as this JVM can know. */
public sealed interface ExitStatus {

    /** It called exit with {@code code}. */
    record Exited(int code) implements ExitStatus {
    }

    /** A signal ended it. */
    record Signaled(int signal, boolean coreDumped) implements ExitStatus {
    }

    /** It ended, but its status went to another parent (an adopted process that is not our child). */
    record Unknown(String reason) implements ExitStatus {
    }

    /** The status in shell convention (128+signal), or -1 when unknown. */
    default int shellCode() {
        if (this instanceof Exited e) {
            return e.code();
        } else if (this instanceof Signaled s) {
            return 128 + s.signal();
        }
        return -1;
    }
}
