package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every pod of an OCI-runtime sandboxer has: its id and run directory (hosts, resolv.conf, hostname),
 * its sandbox state, its containers, the listeners of its task events and the future its stop completes.
 * The sandboxer writes its own state file format in {@link #save()}.
 *
 * <p>State diagram: {@code CREATED -start-> READY -stop-> STOPPED}; {@code NOT_READY} when the sandboxer
 * finds the pod broken. {@code shutdown} removes it from any state.
 *
 * @param <C> the sandboxer's container record
 */
public abstract class OciPod<C extends OciContainer<?>> {
    private static final Logger LOG = Logger.getLogger(OciPod.class.getName());

    private final String id;
    private final Path runDir;
    private final Map<String, C> containers = new ConcurrentHashMap<>();
    private final List<TaskEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<ExitStatus> exited = new CompletableFuture<>();
    private volatile SandboxState state;
    private volatile Instant stoppedAt;

    protected OciPod(String id, Path runDir, SandboxState state, Instant stoppedAt) {
        this.id = id;
        this.runDir = runDir;
        this.state = state;
        this.stoppedAt = stoppedAt;
        if (stoppedAt != null) {
            exited.complete(ExitStatus.of(0, stoppedAt));
        }
    }

    public String id() {
        return id;
    }

    public Path runDir() {
        return runDir;
    }

    public Path hostsFile() {
        return runDir.resolve("hosts");
    }

    public Path resolvConf() {
        return runDir.resolve("resolv.conf");
    }

    public Path hostnameFile() {
        return runDir.resolve("hostname");
    }

    /** The pod cgroup, relative to the hierarchies' roots. */
    public abstract String cgroup();

    public SandboxState state() {
        return state;
    }

    public Instant stoppedAt() {
        return stoppedAt;
    }

    public Map<String, C> containers() {
        return containers;
    }

    /** One of its containers; NOT_FOUND if it has none by that id. */
    public C container(String containerId) {
        C c = containerId == null ? null : containers.get(containerId);
        if (c == null) {
            throw SandboxException.notFound("container", containerId + " in pod " + id);
        }
        return c;
    }

    public CompletableFuture<ExitStatus> exitFuture() {
        return exited;
    }

    public synchronized void state(SandboxState s) {
        this.state = s;
        persist();
    }

    public synchronized void stopped(Instant at) {
        this.state = SandboxState.STOPPED;
        this.stoppedAt = at;
        persist();
        exited.complete(ExitStatus.of(0, at));
    }

    /** Writes the pod and all its containers atomically. */
    public synchronized void persist() {
        save();
    }

    /** Writes the sandboxer's state file for this pod; called with the pod's lock held. */
    protected abstract void save();

    public AutoCloseable subscribe(TaskEventListener l) {
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    public void publish(TaskEvent event) {
        for (TaskEventListener l : listeners) {
            try {
                l.onEvent(id, event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task event listener failed for pod " + id, e);
            }
        }
    }
}
