package io.atrium.sandboxer.gvisor;

import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedContainer;
import io.atrium.sandboxer.gvisor.PersistedGvisorPod.PersistedExec;
import io.atrium.sandboxer.ociruntime.OciProcess;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One app container inside a pod's sandbox: its bundle (rootfs served to gVisor by runsc's gofer), its
 * CRI log, its execs, and the {@code runsc wait} that reports its exit. Its pid is the sandbox's host
 * pid: the container's processes live in gVisor's kernel, not the host's.
 */
final class GvisorContainer extends OciProcess {
    private final String id;
    private final Path bundle;
    private final Path logPath;
    private final Instant createdAt;
    private final Map<String, GvisorExec> execs = new ConcurrentHashMap<>();
    private volatile boolean rootfsMounted;
    private volatile Instant startedAt;
    private volatile Process waiter;

    GvisorContainer(String id, Path bundle, Path logPath, Instant createdAt) {
        this.id = id;
        this.bundle = bundle;
        this.logPath = logPath;
        this.createdAt = createdAt;
    }

    @Override
    public String containerId() {
        return id;
    }

    @Override
    public String execId() {
        return "";
    }

    Path bundle() {
        return bundle;
    }

    Path rootfs() {
        return bundle.resolve("rootfs");
    }

    Path logPath() {
        return logPath;
    }

    Map<String, GvisorExec> execs() {
        return execs;
    }

    void rootfsMounted(boolean mounted) {
        this.rootfsMounted = mounted;
    }

    void startedAt(Instant at) {
        this.startedAt = at;
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
        execs.values().forEach(e -> {
            if (e.pid() > 0 && e.exit() == null) {
                ex.add(new PersistedExec(e.execId(), e.pid(), e.sandboxPid()));
            }
        });
        return new PersistedContainer(id, bundle.toString(), logPath == null ? null : logPath.toString(), status(),
                rootfsMounted, createdAt, startedAt, exit(), ex);
    }
}
