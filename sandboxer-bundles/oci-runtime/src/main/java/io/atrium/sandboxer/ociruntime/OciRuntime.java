package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An OCI runtime CLI (runc, or gVisor's CLI-compatible runsc), always with the sandboxer's own
 * {@code --root} and global flags. Every failure becomes a {@link SandboxException} carrying the
 * runtime's own message.
 *
 * <p>{@code create} and {@code exec} are special: the runtime hands its standard streams to the container
 * process, so they run through {@code sh -c 'exec runtime ... 1<>fifo 2<>fifo'}. Opening the FIFOs
 * read-write means the container itself holds a reader, so it never gets SIGPIPE while no node
 * reads; the runtime's own errors then go to {@code --log} (JSON), where we read them back.
 */
public final class OciRuntime {
    /** Starts the runtime with the streams given in environment variables, so no path is ever quoted into a script. */
    private static final String STDIO_SCRIPT =
            "exec \"$@\" 0<\"$ATRIUM_STDIN\" 1<>\"$ATRIUM_STDOUT\" 2<>\"$ATRIUM_STDERR\"";

    /**
     * Which runtime to run and how.
     *
     * @param name what messages call it ("runc", "runsc")
     * @param binary the executable
     * @param root the runtime's state directory ({@code --root}), never the system default
     * @param globalFlags flags placed before every subcommand, e.g. {@code --platform=ptrace}
     * @param timeout how long one command may take
     */
    public record Settings(String name, Path binary, Path root, List<String> globalFlags, Duration timeout) {
        public Settings {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(binary, "binary");
            Objects.requireNonNull(root, "root");
            globalFlags = globalFlags == null ? List.of() : List.copyOf(globalFlags);
            timeout = timeout == null ? Duration.ofSeconds(60) : timeout;
        }
    }

    /** The runtime's view of a container: created, running, pausing, paused or stopped, and its init pid. */
    public record ContainerState(String status, int pid) {
    }

    private final Settings settings;
    private final ObjectMapper json = new ObjectMapper();

    public OciRuntime(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** The version line without the program name, e.g. {@code 1.1.5+ds1} for {@code runc version 1.1.5+ds1}. */
    public String version() {
        String out = run(List.of("--version"), "version");
        return out.lines().findFirst().orElse(settings.name())
                .replaceFirst("^" + java.util.regex.Pattern.quote(settings.name()) + " version ", "").strip();
    }

    /** {@code create --bundle B --pid-file P [extra] id}, with the process's streams at {@code stdio}. */
    public void create(String id, Path bundle, Path pidFile, Path log, StdioPaths stdio, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString()));
        args.addAll(extra);
        args.add(id);
        runWithStdio(args, "create container " + id, log, stdio);
    }

    public void create(String id, Path bundle, Path pidFile, Path log, StdioPaths stdio) {
        create(id, bundle, pidFile, log, stdio, List.of());
    }

    /** {@code exec --process J --detach --pid-file P [extra] id}, with the process's streams at {@code stdio}. */
    public void exec(String id, Path processJson, Path pidFile, Path log, StdioPaths stdio, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("exec", "--process", processJson.toString(), "--detach", "--pid-file",
                pidFile.toString()));
        args.addAll(extra);
        args.add(id);
        runWithStdio(args, "exec in container " + id, log, stdio);
    }

    public void exec(String id, Path processJson, Path pidFile, Path log, StdioPaths stdio) {
        exec(id, processJson, pidFile, log, stdio, List.of());
    }

    public void start(String id) {
        run(List.of("start", id), "start container " + id);
    }

    /**
     * {@code start id} with the runtime's streams at {@code stdio}: runsc gives a container added to an
     * existing sandbox the standard streams of {@code start}, not those of {@code create}.
     */
    public void start(String id, Path log, StdioPaths stdio) {
        runWithStdio(List.of("start", id), "start container " + id, log, stdio);
    }

    public void kill(String id, int signal, boolean all) {
        List<String> args = new ArrayList<>(List.of("kill"));
        if (all) {
            args.add("--all");
        }
        args.add(id);
        args.add(Integer.toString(signal));
        run(args, "kill container " + id);
    }

    /** Deletes the container; {@code --force} kills it first if it still runs. Missing containers are fine. */
    public void deleteForce(String id) {
        try {
            run(List.of("delete", "--force", id), "delete container " + id);
        } catch (SandboxException e) {
            if (e.reason() != Reason.NOT_FOUND) {
                throw e;
            }
        }
    }

    public void pause(String id) {
        run(List.of("pause", id), "pause container " + id);
    }

    public void resume(String id) {
        run(List.of("resume", id), "resume container " + id);
    }

    /** Applies an OCI LinuxResources document to a running container. */
    public void update(String id, Path resourcesJson) {
        run(List.of("update", "--resources", resourcesJson.toString(), id), "update container " + id);
    }

    /** The runtime's view of a container; empty if it does not know it. */
    public Optional<ContainerState> state(String id) {
        try {
            JsonNode n = json.readTree(run(List.of("state", id), "state of container " + id));
            return Optional.of(new ContainerState(n.path("status").asText(), n.path("pid").asInt()));
        } catch (SandboxException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, settings.name() + " state " + id + " printed no JSON: "
                    + e.getMessage(), e);
        }
    }

    /** Host pids of the container's processes ({@code ps --format json}). */
    public List<Integer> ps(String id) {
        String out = run(List.of("ps", "--format", "json", id), "list processes of container " + id);
        try {
            List<Integer> pids = new ArrayList<>();
            JsonNode n = json.readTree(out.isBlank() ? "[]" : out);
            n.forEach(p -> pids.add(p.asInt()));
            return pids;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, settings.name() + " ps " + id + " printed no JSON: "
                    + e.getMessage(), e);
        }
    }

    /** One statistics sample ({@code events --stats}): the {@code data} object of the stats event. */
    public JsonNode stats(String id) {
        String out = run(List.of("events", "--stats", id), "read statistics of container " + id);
        try {
            JsonNode n = json.readTree(out);
            return n == null ? json.createObjectNode() : n.path("data");
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, settings.name() + " events --stats " + id + " printed no JSON: "
                    + e.getMessage(), e);
        }
    }

    /** Runs any other subcommand (after the global flags) and returns its output. */
    public String run(List<String> args, String what) {
        List<String> cmd = command(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                StdioPaths.DEV_NULL.toFile()));
        Result r = execute(pb, what);
        if (r.code != 0) {
            throw failure(what, r.code, r.output.strip());
        }
        return r.output;
    }

    private List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(settings.binary().toString(), "--root", settings.root().toString()));
        cmd.addAll(settings.globalFlags());
        cmd.addAll(args);
        return cmd;
    }

    private void runWithStdio(List<String> args, String what, Path log, StdioPaths stdio) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", STDIO_SCRIPT, "sh"));
        cmd.addAll(command(List.of("--log", log.toString(), "--log-format", "json")));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ATRIUM_STDIN", stdio.stdin().toString());
        pb.environment().put("ATRIUM_STDOUT", stdio.stdout().toString());
        pb.environment().put("ATRIUM_STDERR", stdio.stderr().toString());
        Result r = execute(pb, what);
        if (r.code != 0) {
            String message = lastError(log).orElse(r.output.strip());
            throw failure(what, r.code, message.isEmpty() ? "(" + settings.name() + " printed nothing; see " + log + ")"
                    : message);
        }
    }

    /** The last error the runtime logged, in its JSON log format ({@code {"level":"error","msg":...}}). */
    private Optional<String> lastError(Path log) {
        try {
            String found = null;
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                // runsc writes its JSON entries without a newline between them: read every value of the line
                try (com.fasterxml.jackson.databind.MappingIterator<JsonNode> values =
                        json.readerFor(JsonNode.class).readValues(line)) {
                    while (values.hasNext()) {
                        JsonNode n = values.next();
                        if ("error".equals(n.path("level").asText()) || "fatal".equals(n.path("level").asText())) {
                            found = n.path("msg").asText();
                        }
                    }
                } catch (IOException | RuntimeException notJson) {
                    found = line;
                }
            }
            return Optional.ofNullable(found);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("(cannot read " + settings.name() + " log " + log + ": " + e.getMessage() + ")");
        }
    }

    private record Result(int code, String output) {
    }

    private Result execute(ProcessBuilder pb, String what) {
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new SandboxException(Reason.UNAVAILABLE, "cannot run " + settings.binary() + " to " + what + ": "
                    + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            // for create/exec this pipe only hears sh itself: the runtime's streams were swapped for the FIFOs at exec
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new SandboxException(Reason.DEADLINE_EXCEEDED, settings.name() + " took longer than "
                        + settings.timeout() + " to " + what);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SandboxException(Reason.UNAVAILABLE, "interrupted waiting for " + settings.name() + " to " + what,
                    new InterruptedIOException());
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "reading " + settings.name() + "'s output to " + what + ": "
                    + e.getMessage(), e);
        }
    }

    private SandboxException failure(String what, int code, String message) {
        Reason reason;
        if (message.contains("does not exist")) {
            reason = Reason.NOT_FOUND;
        } else if (message.contains("already exists")) {
            reason = Reason.ALREADY_EXISTS;
        } else if (message.contains("not running") || message.contains("not paused") || message.contains("stopped")) {
            reason = Reason.FAILED_PRECONDITION;
        } else {
            reason = Reason.INTERNAL;
        }
        return new SandboxException(reason, settings.name() + " failed to " + what + " (exit " + code + "): " + message);
    }
}
