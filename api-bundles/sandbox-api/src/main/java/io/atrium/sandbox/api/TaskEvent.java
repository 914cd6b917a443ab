package io.atrium.sandbox.api;

/** Something that happened to a task without being asked for. */
public sealed interface TaskEvent {
    String containerId();

    /** A container's main process or an exec exited. */
    record Exited(String containerId, String execId, long pid, ExitStatus status) implements TaskEvent {
    }

    /** The kernel's OOM killer hit the container. */
    record OutOfMemory(String containerId) implements TaskEvent {
    }
}
