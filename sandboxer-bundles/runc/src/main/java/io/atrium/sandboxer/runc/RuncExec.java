package io.atrium.sandboxer.runc;

import io.atrium.sandbox.api.Stdio;
import io.atrium.sandboxer.ociruntime.OciProcess;
import java.nio.file.Path;

/** An extra process in a running container, started with {@code runc exec --detach}. */
final class RuncExec extends OciProcess {
    private final String containerId;
    private final String execId;
    private final String processJson;
    private final Stdio stdio;
    private final Path dir;

    RuncExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
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

    /** The adjusted OCI process spec, written to process.json at start. */
    String processJson() {
        return processJson;
    }

    Stdio stdio() {
        return stdio;
    }

    /** Holds process.json, the pid file, runc's log and the FIFOs. */
    Path dir() {
        return dir;
    }
}
