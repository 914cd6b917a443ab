package io.atrium.sandboxer.runc;

import io.atrium.sandboxer.ociruntime.OciProcess;
import io.atrium.sandboxer.ociruntime.ProcessIo;
import io.atrium.sandboxer.runc.PersistedPod.PersistedContainer;
import io.atrium.sandboxer.runc.PersistedPod.PersistedExec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One container of a pod: its runc bundle, its log, its init process and its execs. */
final class RuncContainer extends OciProcess {
    private final String id;
    private final Path bundle;
    private final Path logPath;
    private final Instant createdAt;
    private final Map<String, RuncExec> execs = new ConcurrentHashMap<>();
    private volatile boolean rootfsMounted;
    private volatile Instant startedAt;

    RuncContainer(String id, Path bundle, Path logPath, Instant createdAt) {
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

    Map<String, RuncExec> execs() {
        return execs;
    }

    void rootfsMounted(boolean mounted) {
        this.rootfsMounted = mounted;
    }

    boolean rootfsMounted() {
        return rootfsMounted;
    }

    void startedAt(Instant at) {
        this.startedAt = at;
    }

    PersistedContainer persisted() {
        List<PersistedExec> ex = new ArrayList<>();
        execs.values().forEach(e -> {
            if (e.pid() > 0 && e.exit() == null) {
                ex.add(new PersistedExec(e.execId(), e.pid()));
            }
        });
        int[] fds = io().heldFds();
        return new PersistedContainer(id, bundle.toString(), logPath == null ? null : logPath.toString(), status(), pid(),
                rootfsMounted, createdAt, startedAt, exit(), ex, fds[0], fds[1],
                fds[0] != 0 || fds[1] != 0 ? ProcessIo.fdOwner() : null, io().consoleInput(), io().stdinOnce());
    }
}
