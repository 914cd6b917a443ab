package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The mechanical part of bringing a container's init or an exec'd process into being with the runtime
 * CLI: write its config.json / process.json, wire its {@link Stdio} (FIFOs, or a terminal through a
 * console socket), run {@code create} / {@code exec --detach} and read back its host pid. Pod bookkeeping
 * (registries, persistence, exit watching) stays with the sandboxer.
 *
 * <p>On failure the process's streams are detached and its log closed; the caller removes the
 * bundle or exec directory and anything else it set up.
 */
public final class OciLauncher {
    public static final String CONFIG_JSON = "config.json";
    public static final String INIT_PID = "init.pid";
    public static final String RUNTIME_LOG = "runc.log";

    private final OciRuntime runtime;
    private final ProcessStreams streams;

    public OciLauncher(OciRuntime runtime, ProcessStreams streams) {
        this.runtime = runtime;
        this.streams = streams;
    }

    public OciRuntime runtime() {
        return runtime;
    }

    public ProcessStreams streams() {
        return streams;
    }

    /**
     * Runs {@code create} for a container whose rootfs is ready: {@code spec} (already adjusted) goes to
     * {@code <bundle>/config.json}, its output to the stdio endpoints. Returns the init's host pid.
     *
     * @param threadName prefix for the threads copying its streams
     */
    public int create(OciProcess container, Path bundle, ObjectNode spec, Stdio stdio, String threadName) {
        String id = container.containerId();
        boolean done = false;
        try {
            Files.createDirectories(bundle);
            Files.writeString(bundle.resolve(CONFIG_JSON), spec.toString(), StandardCharsets.UTF_8);
            container.log(streams.openLog(stdio));
            StdioPaths paths = streams.attach(container, stdio, bundle, container.log(), threadName);
            Path pidFile = bundle.resolve(INIT_PID);
            runtime.create(id, bundle, pidFile, bundle.resolve(RUNTIME_LOG), paths);
            int pid = readPid(pidFile, "container " + id);
            done = true;
            return pid;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot create container " + id + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                container.detachStreams();
                container.closeLog();
            }
        }
    }

    /**
     * Runs {@code exec --detach} of {@code processJson} (already adjusted) in a running container, keeping its
     * files in {@code dir}. Returns the process's host pid.
     */
    public int exec(OciProcess exec, Path dir, String processJson, Stdio stdio, String threadName) {
        String what = "exec " + exec.execId();
        boolean done = false;
        try {
            Files.createDirectories(dir);
            Path process = dir.resolve("process.json");
            Files.writeString(process, processJson, StandardCharsets.UTF_8);
            exec.log(streams.openLog(stdio));
            StdioPaths paths = streams.attach(exec, stdio, dir, exec.log(), threadName);
            Path pidFile = dir.resolve("exec.pid");
            runtime.exec(exec.containerId(), process, pidFile, dir.resolve(RUNTIME_LOG), paths);
            int pid = readPid(pidFile, what);
            done = true;
            return pid;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot start " + what + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                exec.detachStreams();
                exec.closeLog();
            }
        }
    }

    /** Reads the pid file the runtime wrote. */
    public static int readPid(Path pidFile, String what) throws IOException {
        String s = Files.readString(pidFile).strip();
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new SandboxException(Reason.INTERNAL, "the runtime wrote no pid for " + what + " (" + pidFile + ": '"
                    + s + "')");
        }
    }
}
