package io.atrium.sandbox.api;

/**
 * An extra process in a running container.
 *
 * @param containerId the container
 * @param execId id of the new process, unique within the container
 * @param processSpecJson the OCI process spec (args, env, cwd, user, terminal)
 * @param stdio where its streams go
 */
public record ExecProcess(String containerId, String execId, String processSpecJson, Stdio stdio) {
    public ExecProcess {
        if (execId == null || execId.isBlank()) {
            throw SandboxException.invalid("exec id is required");
        }
        stdio = stdio == null ? Stdio.NONE : stdio;
    }
}
