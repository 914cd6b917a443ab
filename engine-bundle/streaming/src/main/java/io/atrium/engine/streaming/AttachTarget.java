package io.atrium.engine.streaming;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.TaskService;
import java.util.Objects;

/**
 * A client attached to a running container's main process.
 *
 * @param tasks the Task service of the container's sandbox (the swap-proof proxy)
 * @param containerId the container
 * @param streams which streams the client asked for
 */
public record AttachTarget(TaskService tasks, String containerId, StreamOptions streams) {
    public AttachTarget {
        Objects.requireNonNull(tasks, "tasks");
        if (containerId == null || containerId.isEmpty()) {
            throw SandboxException.invalid("container_id is required");
        }
        Objects.requireNonNull(streams, "streams");
    }
}
