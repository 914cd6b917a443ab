package io.atrium.sandboxer.gvisor;

import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedContainer;
import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedExec;
import io.atrium.sandboxer.ociruntime.OciContainer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One app container inside a pod's sandbox: its bundle (rootfs served to gVisor by runsc's gofer), its
 * CRI log, its execs, and the {@code runsc wait} that reports its exit. Its pid is the sandbox's host
 * pid: the container's processes live in gVisor's kernel, not the host's.
 */
final class GvisorContainer extends OciContainer<GvisorExec> {
    private volatile Process waiter;

    GvisorContainer(String id, Path bundle, Path logPath, Instant createdAt) {
        super(id, bundle, logPath, createdAt);
    }

    /** The {@code runsc wait} process reporting this container's exit, while one runs. */
    void waiter(Process p) {
        this.waiter = p;
    }

    Process waiter() {
        return waiter;
    }

    /** Ends the exit waiter (the container keeps running); the next instance starts its own. */
    void stopWaiter() {
        Process p = waiter;
        waiter = null;
        if (p != null && p.isAlive()) {
            p.destroy();
        }
    }

    PersistedContainer persisted() {
        List<PersistedExec> ex = new ArrayList<>();
        execs().values().forEach(e -> {
            if (e.pid() > 0 && e.exit() == null) {
                ex.add(new PersistedExec(e.execId(), e.pid(), e.sandboxPid()));
            }
        });
        Path log = logPath();
        return new PersistedContainer(containerId(), bundle().toString(), log == null ? null : log.toString(), status(),
                rootfsMounted(), createdAt(), startedAt(), exit(), ex);
    }
}
