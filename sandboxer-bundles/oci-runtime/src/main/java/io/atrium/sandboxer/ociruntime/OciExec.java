package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.Stdio;
import java.nio.file.Path;

/** An extra process in a running container, started with the runtime's {@code exec --detach}. */
public class OciExec extends OciProcess {
    private final String containerId;
    private final String execId;
    private final String processJson;
    private final Stdio stdio;
    private final Path dir;

    public OciExec(String containerId, String execId, String processJson, Stdio stdio, Path dir) {
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
    public String processJson() {
        return processJson;
    }

    public Stdio stdio() {
        return stdio;
    }

    /** Holds process.json, the pid file(s), the runtime's log and the FIFOs. */
    public Path dir() {
        return dir;
    }
}
