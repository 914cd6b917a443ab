package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.Stdio;
import io.atrium.sandboxer.vmm.stdio.CriLogWriter;
import io.atrium.sandboxer.vmm.stdio.StdioFrame;
import io.atrium.sandboxer.vmm.stdio.StdioMux;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Where one process's output goes on the host: the CRI log file and/or the engine's in-process
 * channels (ExecSync, attach). Knows when the guest has closed both output streams, so an exit is
 * reported only after its output is complete.
 */
final class ProcessOutput implements StdioMux.Sink {
    private final String muxId;
    private final CriLogWriter log;
    private final WritableByteChannel stdout;
    private final WritableByteChannel stderr;
    private final boolean terminal;
    private final List<Stdio> attached = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> outDone = new CompletableFuture<>();
    private final CompletableFuture<Void> errDone = new CompletableFuture<>();

    private ProcessOutput(String muxId, CriLogWriter log, WritableByteChannel stdout, WritableByteChannel stderr,
            boolean terminal, boolean wantOut, boolean wantErr) {
        this.muxId = muxId;
        this.log = log;
        this.stdout = stdout;
        this.stderr = stderr;
        this.terminal = terminal;
        if (!wantOut) {
            outDone.complete(null);
        }
        if (!wantErr || terminal) {
            errDone.complete(null); // a terminal merges both streams into stream 1
        }
    }

    /** The output of a process with {@code stdio}; opens its CRI log if it has one. */
    static ProcessOutput of(String muxId, Stdio stdio, Clock clock) throws IOException {
        CriLogWriter log = null;
        if (stdio.stdout() instanceof Stdio.Endpoint.CriLog c) {
            log = new CriLogWriter(c.path(), clock);
        } else if (stdio.stderr() instanceof Stdio.Endpoint.CriLog c) {
            log = new CriLogWriter(c.path(), clock);
        }
        WritableByteChannel out = stdio.stdout() instanceof Stdio.Endpoint.OutputChannel o ? o.channel() : null;
        WritableByteChannel err = stdio.stderr() instanceof Stdio.Endpoint.OutputChannel o ? o.channel() : null;
        return new ProcessOutput(muxId, log, out, err, stdio.terminal(), wants(stdio.stdout()), wants(stdio.stderr()));
    }

    static boolean wants(Stdio.Endpoint e) {
        return e instanceof Stdio.Endpoint.CriLog || e instanceof Stdio.Endpoint.OutputChannel;
    }

    String muxId() {
        return muxId;
    }

    CriLogWriter log() {
        return log;
    }

    void attach(Stdio client) {
        attached.add(client);
    }

    void detach(Stdio client) {
        attached.remove(client);
    }

    @Override
    public void data(int stream, byte[] data) throws IOException {
        if (log != null) {
            log.write(stream, data);
        }
        WritableByteChannel ch = stream == StdioFrame.STDERR ? stderr : stdout;
        if (ch != null && ch.isOpen()) {
            write(ch, data);
        }
        for (Stdio a : attached) {
            Stdio.Endpoint e = stream == StdioFrame.STDERR && !terminal ? a.stderr() : a.stdout();
            if (e instanceof Stdio.Endpoint.OutputChannel o && o.channel().isOpen()) {
                try {
                    write(o.channel(), data);
                } catch (IOException ex) {
                    attached.remove(a); // the client went away; the log keeps receiving
                }
            }
        }
    }

    private static void write(WritableByteChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Override
    public void closed(int stream) {
        try {
            if (log != null) {
                log.endOfStream(stream);
            }
        } catch (IOException e) {
            // the log file is gone (rotated away and not reopened); nothing else to do
        }
        WritableByteChannel ch = stream == StdioFrame.STDERR ? stderr : stdout;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // the engine's collector does not fail on close
            }
        }
        (stream == StdioFrame.STDERR ? errDone : outDone).complete(null);
        if (terminal && stream == StdioFrame.STDOUT && stderr != null) {
            try {
                stderr.close();
            } catch (IOException e) {
                // as above
            }
        }
    }

    /** Waits (bounded) until the guest closed every output stream of the process. */
    void awaitDrained(Duration max) {
        try {
            CompletableFuture.allOf(outDone, errDone).get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // output that never closes (a lost frame, a dead VM) must not hold the exit back forever
        }
    }

    void closeLog() {
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                // nothing more to write there
            }
        }
    }
}
