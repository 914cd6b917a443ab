package io.atrium.sandboxer.runc;

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
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The runc binary, always with this sandboxer's own {@code --root}. Every failure becomes a
 * {@link SandboxException} carrying runc's own message.
 *
 * <p>{@code create} and {@code exec} are special: runc hands its standard streams to the container
 * process, so they run through {@code sh -c 'exec runc ... 1<>fifo 2<>fifo'}. Opening the FIFOs
 * read-write means the container itself holds a reader, so it never gets SIGPIPE while no node
 * reads; runc's own errors then go to {@code --log} (JSON), where we read them back.
 */
final class RuncCli {
    /** Starts runc with the streams given in environment variables, so no path is ever quoted into a script. */
    private static final String STDIO_SCRIPT =
            "exec \"$@\" 0<\"$ATRIUM_STDIN\" 1<>\"$ATRIUM_STDOUT\" 2<>\"$ATRIUM_STDERR\"";

    private final Path binary;
    private final Path root;
    private final Duration timeout;
    private final ObjectMapper json = new ObjectMapper();

    RuncCli(Path binary, Path root, Duration timeout) {
        this.binary = binary;
        this.root = root;
        this.timeout = timeout;
    }

    /** Where the container's (or exec's) standard streams go: paths of FIFOs, files or /dev/null. */
    record StdioPaths(Path stdin, Path stdout, Path stderr) {
        static final Path DEV_NULL = Path.of("/dev/null");
        static final StdioPaths NULL = new StdioPaths(DEV_NULL, DEV_NULL, DEV_NULL);
    }

    /** The runc version line, e.g. {@code runc version 1.1.5+ds1}. */
    String version() {
        String out = run(List.of("--version"), "version");
        return out.lines().findFirst().orElse("runc").replaceFirst("^runc version ", "").strip();
    }

    void create(String id, Path bundle, Path pidFile, Path log, StdioPaths stdio) {
        runWithStdio(List.of("create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), id),
                "create container " + id, log, stdio);
    }

    void exec(String id, Path processJson, Path pidFile, Path log, StdioPaths stdio) {
        runWithStdio(List.of("exec", "--process", processJson.toString(), "--detach", "--pid-file", pidFile.toString(), id),
                "exec in container " + id, log, stdio);
    }

    void start(String id) {
        run(List.of("start", id), "start container " + id);
    }

    void kill(String id, int signal, boolean all) {
        List<String> args = new ArrayList<>(List.of("kill"));
        if (all) {
            args.add("--all");
        }
        args.add(id);
        args.add(Integer.toString(signal));
        run(args, "kill container " + id);
    }

    /** Deletes the container; {@code --force} kills it first if it still runs. Missing containers are fine. */
    void deleteForce(String id) {
        try {
            run(List.of("delete", "--force", id), "delete container " + id);
        } catch (SandboxException e) {
            if (e.reason() != Reason.NOT_FOUND) {
                throw e;
            }
        }
    }

    void pause(String id) {
        run(List.of("pause", id), "pause container " + id);
    }

    void resume(String id) {
        run(List.of("resume", id), "resume container " + id);
    }

    /** Applies an OCI LinuxResources document to a running container. */
    void update(String id, Path resourcesJson) {
        run(List.of("update", "--resources", resourcesJson.toString(), id), "update container " + id);
    }

    /** runc's view of a container (status and init pid); empty if runc does not know it. */
    Optional<ContainerState> state(String id) {
        try {
            JsonNode n = json.readTree(run(List.of("state", id), "state of container " + id));
            return Optional.of(new ContainerState(n.path("status").asText(), n.path("pid").asInt()));
        } catch (SandboxException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "runc state " + id + " printed no JSON: " + e.getMessage(), e);
        }
    }

    /** @param status created, running, pausing, paused or stopped */
    record ContainerState(String status, int pid) {
    }

    private List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--root", root.toString()));
        cmd.addAll(args);
        return cmd;
    }

    private String run(List<String> args, String what) {
        List<String> cmd = command(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                StdioPaths.DEV_NULL.toFile()));
        Result r = execute(pb, what);
        if (r.code != 0) {
            throw failure(what, r.code, r.output.strip());
        }
        return r.output;
    }

    private void runWithStdio(List<String> args, String what, Path log, StdioPaths stdio) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", STDIO_SCRIPT, "sh", binary.toString(),
                "--root", root.toString(), "--log", log.toString(), "--log-format", "json"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("ATRIUM_STDIN", stdio.stdin().toString());
        pb.environment().put("ATRIUM_STDOUT", stdio.stdout().toString());
        pb.environment().put("ATRIUM_STDERR", stdio.stderr().toString());
        Result r = execute(pb, what);
        if (r.code != 0) {
            String message = lastError(log).orElse(r.output.strip());
            throw failure(what, r.code, message.isEmpty() ? "(runc printed nothing; see " + log + ")" : message);
        }
    }

    /** The last error runc logged, in its JSON log format ({@code {"level":"error","msg":...}}). */
    private Optional<String> lastError(Path log) {
        try {
            String found = null;
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                try {
                    JsonNode n = json.readTree(line);
                    if ("error".equals(n.path("level").asText()) || "fatal".equals(n.path("level").asText())) {
                        found = n.path("msg").asText();
                    }
                } catch (IOException notJson) {
                    found = line;
                }
            }
            return Optional.ofNullable(found);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("(cannot read runc log " + log + ": " + e.getMessage() + ")");
        }
    }

    private record Result(int code, String output) {
    }

    private Result execute(ProcessBuilder pb, String what) {
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new SandboxException(Reason.UNAVAILABLE, "cannot run " + binary + " to " + what + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            // for create/exec this pipe only hears sh itself: runc's streams were swapped for the FIFOs at exec
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new SandboxException(Reason.DEADLINE_EXCEEDED, "runc took longer than " + timeout + " to " + what);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SandboxException(Reason.UNAVAILABLE, "interrupted waiting for runc to " + what,
                    new InterruptedIOException());
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "reading runc's output to " + what + ": " + e.getMessage(), e);
        }
    }

    private static SandboxException failure(String what, int code, String message) {
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
        return new SandboxException(reason, "runc failed to " + what + " (exit " + code + "): " + message);
    }
}
