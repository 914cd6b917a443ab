package io.atrium.sandbox.api;

/** Receives task events; called on the sandboxer's event thread, so it must not block. */
@FunctionalInterface
public interface TaskEventListener {
    void onEvent(String sandboxId, TaskEvent event);
}
