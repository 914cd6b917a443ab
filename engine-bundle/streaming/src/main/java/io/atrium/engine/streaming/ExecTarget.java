package io.atrium.engine.streaming;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.TaskService;
import java.util.Objects;

/**
 * A new process in a running container, streamed to one client.
 *
 * @param tasks the Task service of the container's sandbox (the swap-proof proxy)
 * @param containerId the container
 * @param processSpecJson the OCI process spec to run (args, env, cwd, user, terminal already set)
 * @param streams which streams the client asked for
 */
public record ExecTarget(TaskService tasks, String containerId, String processSpecJson, StreamOptions streams) {
    public ExecTarget {
        Objects.requireNonNull(tasks, "tasks");
        if (containerId == null || containerId.isEmpty()) {
            throw SandboxException.invalid("container_id is required");
        }
        Objects.requireNonNull(processSpecJson, "processSpecJson");
        Objects.requireNonNull(streams, "streams");
    }
}
