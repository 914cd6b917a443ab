package io.atrium.engine.streaming.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Task service whose execs are real processes on this machine (started with {@link ProcessBuilder}),
 * wired to the Stdio channels the way a sandboxer wires them: stdin copied from the input channel,
 * output drained into the output channels before the exit is reported. It lets the protocol tests
 * run real commands with real exit codes without a container. It has no terminals, so resize calls
 * are only recorded (a real pty is exercised by the node test), and it manages no containers.
 */
final class HostProcessTasks implements TaskService {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, Exec> execs = new ConcurrentHashMap<>();
    final List<int[]> resizes = new CopyOnWriteArrayList<>();
    final List<String> deleted = new CopyOnWriteArrayList<>();
    final List<String> killed = new CopyOnWriteArrayList<>();
    /** Output bytes the server's channels accepted so far (all execs). */
    final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();

    static final class Exec {
        final ExecProcess request;
        volatile Process process;
        final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();

        Exec(ExecProcess request) {
            this.request = request;
        }
    }

    @Override
    public void exec(ExecProcess request) {
        if (!request.containerId().equals("c1")) {
            throw SandboxException.notFound("container", request.containerId());
        }
        if (execs.putIfAbsent(request.execId(), new Exec(request)) != null) {
            throw new SandboxException(SandboxException.Reason.ALREADY_EXISTS, "exec " + request.execId());
        }
    }

    @Override
    public long start(String containerId, String execId) {
        Exec e = execs.get(execId);
        List<String> args = new ArrayList<>();
        try {
            JsonNode spec = JSON.readTree(e.request.processSpecJson());
            spec.path("args").forEach(a -> args.add(a.asText()));
            Process p = new ProcessBuilder(args).start();
            e.process = p;
            Stdio stdio = e.request.stdio();
            if (stdio.stdin() instanceof Stdio.Endpoint.InputChannel in) {
                thread(() -> copy(in.channel(), p.getOutputStream(), true));
            } else {
                p.getOutputStream().close();
            }
            Thread out = thread(() -> drain(p.getInputStream(), stdio.stdout(), accepted));
            Thread err = thread(() -> drain(p.getErrorStream(), stdio.stderr(), accepted));
            thread(() -> {
                try {
                    int code = p.waitFor();
                    out.join();
                    err.join();
                    e.exit.complete(new ExitStatus(code > 128 ? 0 : code, code > 128 ? code - 128 : 0, Instant.now(), ""));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            return p.pid();
        } catch (IOException ex) {
            throw new SandboxException(SandboxException.Reason.INTERNAL, "cannot start " + args + ": " + ex.getMessage());
        }
    }

    private static Thread thread(Runnable r) {
        Thread t = new Thread(r, "host-exec");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void copy(ReadableByteChannel in, OutputStream out, boolean closeAtEnd) {
        ByteBuffer b = ByteBuffer.allocate(8192);
        try {
            while (in.read(b.clear()) >= 0) {
                out.write(b.array(), 0, b.position());
                out.flush();
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            if (closeAtEnd) {
                try {
                    out.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }
    }

    private static void drain(InputStream in, Stdio.Endpoint sink, java.util.concurrent.atomic.AtomicLong accepted) {
        WritableByteChannel ch = sink instanceof Stdio.Endpoint.OutputChannel oc ? oc.channel() : null;
        byte[] b = new byte[8192];
        try {
            int n;
            while ((n = in.read(b)) >= 0) {
                if (ch != null) {
                    ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
                    while (buf.hasRemaining()) {
                        accepted.addAndGet(ch.write(buf));
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        Exec e = execs.get(execId);
        if (e == null) {
            return CompletableFuture.failedFuture(SandboxException.notFound("exec", execId));
        }
        return e.exit;
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        Exec e = execs.get(execId);
        if (e == null) {
            throw SandboxException.notFound("exec", execId);
        }
        return new TaskInfo(containerId, execId, e.process == null ? 0 : e.process.pid(),
                e.exit.isDone() ? TaskStatus.STOPPED : TaskStatus.RUNNING, e.exit.getNow(null));
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        killed.add(execId);
        Exec e = execs.get(execId);
        if (e != null && e.process != null) {
            e.process.destroyForcibly();
        }
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        deleted.add(execId);
        Exec e = execs.remove(execId);
        return e == null ? null : e.exit.getNow(null);
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        resizes.add(new int[] {width, height});
    }

    @Override
    public void closeIO(String containerId, String execId) {
        Exec e = execs.get(execId);
        if (e != null && e.process != null) {
            try {
                e.process.getOutputStream().close();
            } catch (IOException ex) {
                // already closed
            }
        }
    }

    @Override
    public TaskInfo create(CreateTask request) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void pause(String containerId) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void resume(String containerId) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void update(String containerId, Resources resources) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ContainerStats stats(String containerId) {
        throw new UnsupportedOperationException();
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        return () -> { };
    }

    long running() {
        return execs.values().stream().filter(e -> e.process != null && e.process.isAlive()).count();
    }
}
