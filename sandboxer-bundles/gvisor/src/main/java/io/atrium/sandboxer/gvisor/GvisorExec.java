package io.atrium.sandboxer.gvisor;

import io.atrium.sandbox.api.Stdio;
import io.atrium.sandboxer.ociruntime.OciProcess;
import java.nio.file.Path;

/**
 * An extra process in a running container, started with {@code runsc exec --detach}. Its pid is the host
 * pid of the {@code runsc exec} that runsc leaves waiting for it (reparented to the JVM, whose exit status
 * is the process's); {@link #sandboxPid()} is the process in gVisor's root PID namespace, for signals.
 */
final class GvisorExec extends OciProcess {
    private final String containerId;
    private final String execId;
    private final String processJson;
    private final Stdio stdio;
    private final Path dir;
    private volatile int sandboxPid;

    GvisorExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
        this.containerId = containerId;
        this.execId = execId;
        this.processJson = processJson;
        this.stdio = stdio;
        this.dir = dir;
    }

    @Override
    public String containerId() {
        return containerId;
    }

    @Override
    public String execId() {
        return execId;
    }

    String processJson() {
        return processJson;
    }

    Stdio stdio() {
        return stdio;
    }

    /** Holds process.json, the pid files, runsc's log and the FIFOs. */
    Path dir() {
        return dir;
    }

    int sandboxPid() {
        return sandboxPid;
    }

    void sandboxPid(int pid) {
        this.sandboxPid = pid;
    }
}
