package io.atrium.sandbox.api;

/**
 * State of a container or exec.
 *
 * @param containerId the container
 * @param execId the exec, or empty for the main process
 * @param pid host pid (or the sandbox's view of it), 0 before start
 * @param status lifecycle status
 * @param exit how it ended, null while it runs
 */
public record TaskInfo(String containerId, String execId, long pid, TaskStatus status, ExitStatus exit) {
    public TaskInfo {
        execId = execId == null ? "" : execId;
    }
}
