package io.atrium.engine.runtime.events;

import io.atrium.sandbox.api.SandboxerDirectory;
import io.atrium.sandbox.api.TaskEvent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * One task-event subscription per pod. A subscription lives in the sandboxer instance that took
 * it, so when a sandboxer bundle is swapped the old subscriptions end silently; the engine calls
 * {@link #subscribe} again for every pod of that sandboxer when the new instance registers and then
 * reconciles, which catches any exit that happened in between.
 */
public final class SandboxSubscriptions {
    private static final Logger LOG = Logger.getLogger(SandboxSubscriptions.class.getName());

    private final SandboxerDirectory directory;
    private final BiConsumer<String, TaskEvent> sink;
    private final Map<String, AutoCloseable> byPod = new ConcurrentHashMap<>();

    /** {@code sink} must not block: the sandboxer calls it on its event thread. */
    public SandboxSubscriptions(SandboxerDirectory directory, BiConsumer<String, TaskEvent> sink) {
        this.directory = directory;
        this.sink = sink;
    }

    /** (Re)subscribes to the pod's task events, dropping any older subscription. */
    public void subscribe(String sandboxer, String podId) {
        AutoCloseable fresh = directory.tasks(sandboxer, podId).subscribe(sink::accept);
        close(byPod.put(podId, fresh), podId);
    }

    public void unsubscribe(String podId) {
        close(byPod.remove(podId), podId);
    }

    public void closeAll() {
        byPod.keySet().forEach(this::unsubscribe);
    }

    private static void close(AutoCloseable c, String podId) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // the instance that held it may be gone already (swapped); nothing else to release
            LOG.fine("closing the old event subscription of pod " + podId + ": " + e);
        }
    }
}
