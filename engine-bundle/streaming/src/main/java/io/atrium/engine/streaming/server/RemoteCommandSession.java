package io.atrium.engine.streaming.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.nio.channels.Channels;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one exec or attach once its client's streams are ready, on a worker thread (every call here
 * may block). The process is reached only through the sandbox's {@link TaskService}, so every
 * sandboxer that serves in-process stdio channels can be exec'd into and attached to.
 *
 * <p>When the client goes away first, an exec'd process gets end-of-file on stdin and is killed
 * (as containerd does when the stream's context ends), then deleted; an attach only detaches.
 */
final class RemoteCommandSession {
    private static final Logger LOG = Logger.getLogger(RemoteCommandSession.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int SIGKILL = 9;
    /** How often a wait re-checks the task's state, in case the sandboxer instance behind a future was swapped. */
    private static final long STATE_CHECK_MS = 5000;

    private final Executor workers;

    RemoteCommandSession(Executor workers) {
        this.workers = workers;
    }

    private static Stdio stdio(CommandStreams s, boolean tty) {
        return new Stdio(s.stdin() == null ? Endpoint.NONE : new Endpoint.InputChannel(s.stdin()),
                s.stdout() == null ? Endpoint.NONE : new Endpoint.OutputChannel(s.stdout()),
                s.stderr() == null || tty ? Endpoint.NONE : new Endpoint.OutputChannel(s.stderr()), tty, false);
    }

    void exec(ExecTarget t, CommandStreams s) {
        TaskService tasks = t.tasks();
        String cid = t.containerId();
        String execId = "stream-" + HexFormat.of().formatHex(randomBytes());
        boolean created = false;
        byte[] status;
        if (s.stdin() != null) {
            s.stdin().holdEnd();
        }
        try {
            tasks.exec(new ExecProcess(cid, execId, t.processSpecJson(), stdio(s, t.streams().tty())));
            created = true;
            try {
                tasks.start(cid, execId);
            } finally {
                if (s.stdin() != null) {
                    s.stdin().releaseEnd(); // the process has its stdin now: the client's end may reach it
                }
            }
            resizes(s, t.streams().tty(), (w, h) -> tasks.resizePty(cid, execId, w, h));
            Optional<ExitStatus> exit = awaitExitOrClient(tasks, cid, execId, s.closed());
            if (exit.isEmpty()) {
                clientGone(tasks, cid, execId, s);
                return;
            }
            int code = code(exit.get());
            status = code == 0 ? StatusMessages.success(s.jsonStatus())
                    : StatusMessages.exitCode(s.jsonStatus(), code, command(t.processSpecJson()));
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "exec in " + cid + " failed", e);
            status = StatusMessages.internalError(s.jsonStatus(), "error executing command in container: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "exec in " + cid + " failed", e);
            status = StatusMessages.internalError(s.jsonStatus(), "error executing command in container: " + e);
        } finally {
            if (s.stdin() != null) {
                s.stdin().close();
            }
            if (created) {
                delete(tasks, cid, execId);
            }
        }
        end(s, status);
    }

    void attach(AttachTarget t, CommandStreams s) {
        TaskService tasks = t.tasks();
        String cid = t.containerId();
        byte[] status;
        AutoCloseable handle = null;
        try {
            handle = tasks.attach(cid, null, stdio(s, t.streams().tty()));
            resizes(s, t.streams().tty(), (w, h) -> tasks.resizePty(cid, null, w, h));
            Optional<ExitStatus> exit = awaitExitOrClient(tasks, cid, null, s.closed());
            status = exit.isEmpty() ? null : StatusMessages.success(s.jsonStatus());
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "attach to " + cid + " failed", e);
            status = StatusMessages.internalError(s.jsonStatus(), "error attaching to container: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "attach to " + cid + " failed", e);
            status = StatusMessages.internalError(s.jsonStatus(), "error attaching to container: " + e);
        } finally {
            if (s.stdin() != null) {
                s.stdin().close();
            }
            if (handle != null) {
                try {
                    handle.close();
                } catch (Exception e) {
                    LOG.log(Level.FINE, "detaching from " + cid, e);
                }
            }
        }
        if (status != null) {
            end(s, status);
        } else {
            s.finish().run();
        }
    }

    /** Resize events go to the process's terminal, from a worker of their own (the reads block). */
    private void resizes(CommandStreams s, boolean tty, java.util.function.BiConsumer<Integer, Integer> resize) {
        if (s.resize() == null) {
            return;
        }
        workers.execute(() -> {
            try {
                TerminalSizes.read(Channels.newInputStream(s.resize()), (w, h) -> {
                    if (!tty) {
                        return;
                    }
                    try {
                        resize.accept(w, h);
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "resizing a terminal to " + w + "x" + h, e);
                    }
                });
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(Level.FINE, "resize stream ended", e);
            }
        });
    }

    /** The process's exit, or empty once the client is gone first. */
    private static Optional<ExitStatus> awaitExitOrClient(TaskService tasks, String cid, String execId,
            CompletableFuture<Void> clientClosed) {
        CompletableFuture<ExitStatus> exit = tasks.waitExit(cid, execId).toCompletableFuture();
        while (true) {
            try {
                CompletableFuture.anyOf(exit, clientClosed).get(STATE_CHECK_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                Optional<ExitStatus> seen = stopped(tasks, cid, execId);
                if (seen.isPresent()) {
                    return seen;
                }
                continue;
            } catch (ExecutionException e) {
                if (exit.isCompletedExceptionally()) {
                    Optional<ExitStatus> seen = stopped(tasks, cid, execId);
                    if (seen.isPresent()) {
                        return seen;
                    }
                    exit = tasks.waitExit(cid, execId).toCompletableFuture();
                    continue;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            if (exit.isDone() && !exit.isCompletedExceptionally()) {
                return Optional.of(exit.join());
            }
            if (clientClosed.isDone()) {
                return Optional.empty();
            }
        }
    }

    private static Optional<ExitStatus> stopped(TaskService tasks, String cid, String execId) {
        try {
            TaskInfo info = tasks.state(cid, execId);
            if (info.status() == TaskStatus.STOPPED) {
                return Optional.of(info.exit() != null ? info.exit() : ExitStatus.unknown(java.time.Instant.now(), "Unknown"));
            }
            return Optional.empty();
        } catch (SandboxException e) {
            if (e.reason() == SandboxException.Reason.NOT_FOUND) {
                return Optional.of(ExitStatus.unknown(java.time.Instant.now(), "Unknown"));
            }
            throw e;
        }
    }

    /** The client went away mid-exec: end the process's input, kill it and wait for it briefly. */
    private static void clientGone(TaskService tasks, String cid, String execId, CommandStreams s) {
        if (s.stdin() != null) {
            s.stdin().close();
        }
        try {
            tasks.closeIO(cid, execId);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "closing stdin of exec " + execId, e);
        }
        try {
            tasks.kill(cid, execId, SIGKILL, false);
            tasks.waitExit(cid, execId).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.log(Level.FINE, "killing exec " + execId + " after its client left", e);
        }
    }

    private static void delete(TaskService tasks, String cid, String execId) {
        try {
            tasks.delete(cid, execId);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "deleting exec " + execId + " of " + cid, e);
        }
    }

    private static void end(CommandStreams s, byte[] status) {
        if (s.error() != null && status.length > 0) {
            s.error().write(status);
        }
        for (OutboundStream o : new OutboundStream[] {s.stdout(), s.stderr(), s.error()}) {
            if (o != null) {
                o.close();
            }
        }
        s.finish().run();
    }

    /** The CRI exit code: a death by signal becomes 128 + signal, as shells report it. */
    static int code(ExitStatus e) {
        return e.code() == 0 && e.signal() != 0 ? 128 + e.signal() : e.code();
    }

    private static String command(String processSpecJson) {
        try {
            JsonNode args = JSON.readTree(processSpecJson).path("args");
            StringBuilder b = new StringBuilder();
            args.forEach(a -> b.append(b.length() == 0 ? "" : " ").append(a.asText()));
            return b.toString();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }
}
