package io.atrium.sandboxer.gvisor;

import io.atrium.sandbox.api.Stdio;
import io.atrium.sandboxer.ociruntime.OciExec;
import java.nio.file.Path;

/**
 * An extra process in a running container, started with {@code runsc exec --detach}. Its pid is the host
 * pid of the {@code runsc exec} that runsc leaves waiting for it (reparented to the JVM, whose exit status
 * is the process's); {@link #sandboxPid()} is the process in gVisor's root PID namespace, for signals.
 */
final class GvisorExec extends OciExec {
    private volatile int sandboxPid;

    GvisorExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
        super(containerId, execId, processJson, stdio, dir);
    }

    int sandboxPid() {
        return sandboxPid;
    }

    void sandboxPid(int pid) {
        this.sandboxPid = pid;
    }
}
