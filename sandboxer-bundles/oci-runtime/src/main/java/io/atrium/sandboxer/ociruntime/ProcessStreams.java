package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.tty.FdChannel;
import io.atrium.bindings.tty.ReadPoller;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Wires a process's {@link Stdio} endpoints: output FIFOs in its directory are read by
 * {@link FifoReader}s, or its terminal master by a {@link ChannelReader}, into {@link OutputFanout}s
 * (CRI log or in-process channel, plus attached clients); stdin is fed from in-process channels through
 * a FIFO the node holds open read-write, or into the terminal.
 *
 * <p>stdin: an {@link Endpoint.InputChannel} gives the process a stdin that stays open. For an exec
 * its end-of-file closes the process's stdin (the client owns it); for a container (CRI {@code stdin:
 * true}) it does not — the channel may be empty and only marks the container as taking input from
 * clients that {@link ProcessIo#attach attach} later, until {@code closeIO}, {@code stdinOnce} or exit.
 */
public final class ProcessStreams {
    public static final String STDOUT_FIFO = "stdout.fifo";
    public static final String STDERR_FIFO = "stderr.fifo";
    public static final String STDIN_FIFO = "stdin.fifo";

    private final Fifos fifos;
    private final Clock clock;
    /** Reads every CRI-log-bound FIFO on one thread (which exists only while there is something to read). */
    private final ReadPoller logPoller = new ReadPoller("atrium-log-reader");

    public ProcessStreams(Fifos fifos, Clock clock) {
        this.fifos = fifos;
        this.clock = clock;
    }

    /** Refuses endpoints this sandboxer cannot serve, before anything is created. */
    public static void check(Stdio stdio, String what) {
        for (Endpoint e : new Endpoint[] {stdio.stdin(), stdio.stdout(), stdio.stderr()}) {
            if (e instanceof Endpoint.Address a) {
                throw new SandboxException(Reason.UNIMPLEMENTED, what + ": stream address " + a.uri()
                        + " is for out-of-process sandboxes");
            }
            if (stdio.terminal() && e instanceof Endpoint.Fifo) {
                throw new SandboxException(Reason.UNIMPLEMENTED, what + ": a terminal's streams cannot be FIFOs");
            }
        }
        if (stdio.stdin() instanceof Endpoint.CriLog || stdio.stdin() instanceof Endpoint.OutputChannel) {
            throw SandboxException.invalid(what + ": stdin cannot be an output endpoint");
        }
        if (stdio.stdout() instanceof Endpoint.InputChannel || stdio.stderr() instanceof Endpoint.InputChannel) {
            throw SandboxException.invalid(what + ": stdout/stderr cannot be an input channel");
        }
    }

    /** A CRI log writer if either output stream goes to a CRI log (both share it), else null. */
    public CriLogWriter openLog(Stdio stdio) throws IOException {
        Path p = logPath(stdio);
        return p == null ? null : new CriLogWriter(p, clock);
    }

    /** The CRI log file of these endpoints, or null. */
    public static Path logPath(Stdio stdio) {
        return stdio.stdout() instanceof Endpoint.CriLog c ? c.path()
                : stdio.stderr() instanceof Endpoint.CriLog c2 ? c2.path() : null;
    }

    /** Creates the FIFOs, starts the readers and opens stdin; returns what the runtime's streams become. */
    public StdioPaths connect(OciProcess process, Stdio stdio, Path dir, CriLogWriter log, String name) throws IOException {
        ProcessIo io = process.io();
        io.stdinOnce(stdio.stdinOnce());
        OutputFanout[] fans = new OutputFanout[2];
        Path out = output(io, stdio.stdout(), dir.resolve(STDOUT_FIFO), log, "stdout", name, fans, 0);
        Path err = output(io, stdio.stderr(), dir.resolve(STDERR_FIFO), log, "stderr", name, fans, 1);
        io.outputs(fans[0], fans[1]);
        Path in = StdioPaths.DEV_NULL;
        if (stdio.stdin() instanceof Endpoint.Fifo f) {
            in = f.path();
        } else if (stdio.stdin() instanceof Endpoint.InputChannel ic) {
            in = dir.resolve(STDIN_FIFO);
            fifos.create(in);
            // read-write: opening never blocks, and the runtime's read-only open then finds a writer
            io.stdinFifo(FdChannel.openFifo(in));
            io.pump(ic.channel(), isExec(process), name + "-stdin");
        }
        return new StdioPaths(in, out, err);
    }

    /** Serves a process's terminal: output to stdout's endpoint (and clients), input from its stdin channel. */
    public void connectTerminal(OciProcess process, FdChannel master, Stdio stdio, CriLogWriter log, String name) {
        ProcessIo io = process.io();
        io.stdinOnce(stdio.stdinOnce());
        boolean input = stdio.stdin() instanceof Endpoint.InputChannel;
        io.console(master, input);
        OutputFanout out = new OutputFanout(sink(stdio.stdout(), log, "stdout"));
        io.outputs(out, null);
        io.addReader(ChannelReader.start(master, out, () -> closeQuietly(master), name + "-tty"));
        if (input) {
            io.pump(((Endpoint.InputChannel) stdio.stdin()).channel(), isExec(process), name + "-stdin");
        }
    }

    /**
     * Continues the streams of a re-adopted container: its CRI log from its output FIFOs or its terminal
     * (when the earlier instance in this JVM handed the master over), and its held stdin FIFO.
     *
     * @param consoleInput whether the terminal takes client input (the container was created with stdin)
     */
    public void reconnect(OciProcess process, Path dir, CriLogWriter log, FdChannel console, boolean consoleInput,
            FdChannel stdinFifo, boolean stdinOnce, String name) {
        ProcessIo io = process.io();
        io.stdinOnce(stdinOnce);
        if (console != null) {
            io.console(console, consoleInput);
            OutputFanout out = new OutputFanout(log == null ? null : new OutputSink.CriLog(log, "stdout"));
            io.outputs(out, null);
            io.addReader(ChannelReader.start(console, out, () -> closeQuietly(console), name + "-tty"));
            return;
        }
        OutputFanout[] fans = new OutputFanout[2];
        String[][] streams = {{STDOUT_FIFO, "stdout"}, {STDERR_FIFO, "stderr"}};
        for (int i = 0; i < 2; i++) {
            Path fifo = dir.resolve(streams[i][0]);
            if (Files.exists(fifo) && log != null) {
                fans[i] = new OutputFanout(new OutputSink.CriLog(log, streams[i][1]));
                try {
                    io.addReader(PolledFifo.start(logPoller, fifo, fans[i]));
                } catch (ErrnoException e) {
                    java.util.logging.Logger.getLogger(ProcessStreams.class.getName()).log(java.util.logging.Level.WARNING,
                            "cannot read " + fifo + " again; its output is no longer logged", e);
                }
            }
        }
        io.outputs(fans[0], fans[1]);
        if (stdinFifo != null) {
            io.stdinFifo(stdinFifo);
        }
    }

    private Path output(ProcessIo io, Endpoint e, Path fifo, CriLogWriter log, String stream, String name,
            OutputFanout[] fans, int index) throws ErrnoException {
        if (e instanceof Endpoint.Fifo f) {
            return f.path();
        }
        OutputSink sink = sink(e, log, stream);
        if (sink == null) {
            return StdioPaths.DEV_NULL;
        }
        fifos.create(fifo);
        fans[index] = new OutputFanout(sink);
        // a CRI log never blocks, so the shared poller reads it; an exec's channel may, so it gets a thread
        io.addReader(e instanceof Endpoint.CriLog ? PolledFifo.start(logPoller, fifo, fans[index])
                : FifoReader.start(fifo, fans[index], name + "-" + stream));
        return fifo;
    }

    private static OutputSink sink(Endpoint e, CriLogWriter log, String stream) {
        if (e instanceof Endpoint.CriLog && log != null) {
            return new OutputSink.CriLog(log, stream);
        }
        if (e instanceof Endpoint.OutputChannel oc) {
            return new OutputSink.Channel(oc.channel());
        }
        return null;
    }

    private static boolean isExec(OciProcess p) {
        return p.execId() != null && !p.execId().isEmpty();
    }

    private static void closeQuietly(FdChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // it is closed as far as anyone here is concerned
        }
    }
}
