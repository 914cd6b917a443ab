package com.example.atrium.process;

import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Task event subscribers per pod; they live as long as this bundle instance. */
final class TaskEvents {

    private static final System.Logger LOG = System.getLogger(TaskEvents.class.getName());

    private final Map<String, List<TaskEventListener>> listeners = new ConcurrentHashMap<>();

    AutoCloseable subscribe(String podId, TaskEventListener listener) {
        List<TaskEventListener> list = listeners.computeIfAbsent(podId, k -> new CopyOnWriteArrayList<>());
        list.add(listener);
        return () -> list.remove(listener);
    }

    void publish(String podId, TaskEvent event) {
        for (TaskEventListener l : listeners.getOrDefault(podId, List.of())) {
            try {
                l.onEvent(podId, event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task event listener failed on " + event + ": " + e);
            }
        }
    }

    void forget(String podId) {
        listeners.remove(podId);
    }

    void clear() {
        listeners.clear();
    }
}
