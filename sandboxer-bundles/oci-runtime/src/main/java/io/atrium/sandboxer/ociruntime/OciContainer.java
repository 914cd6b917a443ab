package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.SandboxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One container of a pod run by an OCI runtime: its bundle (with the rootfs under it), its CRI log, its
 * init process (this object) and its execs. The runtime's sandboxer adds what it persists.
 *
 * @param <E> the sandboxer's exec record
 */
public abstract class OciContainer<E extends OciExec> extends OciProcess {
    private final String id;
    private final Path bundle;
    private final Path logPath;
    private final Instant createdAt;
    private final Map<String, E> execs = new ConcurrentHashMap<>();
    private volatile boolean rootfsMounted;
    private volatile Instant startedAt;

    protected OciContainer(String id, Path bundle, Path logPath, Instant createdAt) {
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

    public Path bundle() {
        return bundle;
    }

    public Path rootfs() {
        return bundle.resolve("rootfs");
    }

    /** The CRI log file, or null when the container's output goes elsewhere. */
    public Path logPath() {
        return logPath;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Map<String, E> execs() {
        return execs;
    }

    /** One of its execs; NOT_FOUND if it has none by that id. */
    public E exec(String execId) {
        E e = execs.get(execId);
        if (e == null) {
            throw SandboxException.notFound("exec", execId + " in container " + id);
        }
        return e;
    }

    public void rootfsMounted(boolean mounted) {
        this.rootfsMounted = mounted;
    }

    public boolean rootfsMounted() {
        return rootfsMounted;
    }

    public void startedAt(Instant at) {
        this.startedAt = at;
    }

    public Instant startedAt() {
        return startedAt;
    }
}
