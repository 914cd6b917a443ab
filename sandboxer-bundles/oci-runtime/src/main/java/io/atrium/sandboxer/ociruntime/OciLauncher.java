package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.tty.ConsoleSocket;
import io.atrium.bindings.tty.FdChannel;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * The mechanical part of bringing a container's init or an exec'd process into being with the runtime
 * CLI: write its config.json / process.json, wire its {@link Stdio} — FIFOs, or a terminal whose master
 * the runtime sends over a {@link ConsoleSocket} ({@code --console-socket}) — run {@code create} /
 * {@code exec --detach} and read back its host pid. Pod bookkeeping (registries, persistence, exit
 * watching) stays with the sandboxer.
 *
 * <p>{@code process.terminal} in the spec is set from {@link Stdio#terminal()}, so the two always agree.
 * On failure the process's streams are detached, its log closed and the console socket removed; the
 * caller removes the bundle or exec directory and anything else it set up.
 */
public final class OciLauncher {
    public static final String CONFIG_JSON = "config.json";
    public static final String INIT_PID = "init.pid";
    public static final String RUNTIME_LOG = "runc.log";
    /** How long the runtime may take to send the terminal after it returned. */
    private static final Duration CONSOLE_WAIT = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OciRuntime runtime;
    private final ProcessStreams streams;
    private final Path consoleDir;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param consoleDir where console sockets are created for a moment; keep it short: a unix socket path
     *        holds at most {@value ConsoleSocket#MAX_PATH_BYTES} bytes
     */
    public OciLauncher(OciRuntime runtime, ProcessStreams streams, Path consoleDir) {
        this.runtime = runtime;
        this.streams = streams;
        this.consoleDir = consoleDir;
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
            OciSpecAdjuster.object(spec, "process").put("terminal", stdio.terminal());
            Files.writeString(bundle.resolve(CONFIG_JSON), spec.toString(), StandardCharsets.UTF_8);
            container.log(streams.openLog(stdio));
            Path pidFile = bundle.resolve(INIT_PID);
            Path log = bundle.resolve(RUNTIME_LOG);
            if (stdio.terminal()) {
                withConsole(container, stdio, threadName, console -> runtime.create(id, bundle, pidFile, log,
                        StdioPaths.NULL, console));
            } else {
                StdioPaths paths = streams.connect(container, stdio, bundle, container.log(), threadName);
                runtime.create(id, bundle, pidFile, log, paths);
                container.io().runtimeOpenedStdin();
            }
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
        return exec(exec, dir, processJson, stdio, threadName, List.of());
    }

    /** Like {@link #exec(OciProcess, Path, String, Stdio, String)}, with runtime-specific {@code exec} flags (runsc's {@code --internal-pid-file}). */
    public int exec(OciProcess exec, Path dir, String processJson, Stdio stdio, String threadName, List<String> extra) {
        String what = "exec " + exec.execId();
        boolean done = false;
        try {
            Files.createDirectories(dir);
            ObjectNode process = (ObjectNode) json.readTree(processJson);
            process.put("terminal", stdio.terminal());
            Path processFile = dir.resolve("process.json");
            Files.writeString(processFile, process.toString(), StandardCharsets.UTF_8);
            exec.log(streams.openLog(stdio));
            Path pidFile = dir.resolve("exec.pid");
            Path log = dir.resolve(RUNTIME_LOG);
            if (stdio.terminal()) {
                withConsole(exec, stdio, threadName, console -> runtime.exec(exec.containerId(), processFile, pidFile, log,
                        StdioPaths.NULL, concat(console, extra)));
            } else {
                StdioPaths paths = streams.connect(exec, stdio, dir, exec.log(), threadName);
                runtime.exec(exec.containerId(), processFile, pidFile, log, paths, extra);
                exec.io().runtimeOpenedStdin();
            }
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

    @FunctionalInterface
    private interface RuntimeCall {
        void run(List<String> consoleArgs);
    }

    /** Listens on a fresh console socket around {@code call}, then serves the terminal the runtime sent. */
    private void withConsole(OciProcess p, Stdio stdio, String threadName, RuntimeCall call) throws IOException {
        Files.createDirectories(consoleDir);
        Path socketPath = consoleDir.resolve(HexFormat.of().formatHex(randomBytes()) + ".sock");
        try (ConsoleSocket socket = ConsoleSocket.listen(socketPath)) {
            call.run(List.of("--console-socket", socketPath.toString()));
            NativeFd master = socket.receive(CONSOLE_WAIT);
            FdChannel channel;
            try {
                channel = new FdChannel(master);
            } catch (IOException e) {
                master.close();
                throw e;
            }
            streams.connectTerminal(p, channel, stdio, p.log(), threadName);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
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
