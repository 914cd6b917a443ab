package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.process.ExitEvent;
import io.atrium.sandbox.api.ExitStatus;
import java.time.Instant;

/** The reaper's exit events as the Sandbox API's exit statuses. */
public final class ExitStatuses {
    private ExitStatuses() {
    }

    /**
     * @param event null when the process ended while nobody watched it
     * @param oom whether the container's cgroup saw an OOM kill (reason "OOMKilled")
     */
    public static ExitStatus of(ExitEvent event, Instant at, boolean oom) {
        if (event == null) {
            return ExitStatus.unknown(at, "exited while no node was watching");
        }
        io.atrium.bindings.process.ExitStatus s = event.status();
        if (s instanceof io.atrium.bindings.process.ExitStatus.Exited e) {
            return oom ? new ExitStatus(e.code(), 0, at, "OOMKilled") : ExitStatus.of(e.code(), at);
        }
        if (s instanceof io.atrium.bindings.process.ExitStatus.Signaled sig) {
            return new ExitStatus(128 + sig.signal(), sig.signal(), at, oom ? "OOMKilled" : "Error");
        }
        return ExitStatus.unknown(at, ((io.atrium.bindings.process.ExitStatus.Unknown) s).reason());
    }
}
