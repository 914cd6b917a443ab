package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.libc.ErrnoException;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wires a process's {@link Stdio} endpoints to FIFOs in its directory: output FIFOs are read by
 * {@link FifoReader}s into the CRI log or an in-process channel; stdin is fed from an in-process channel
 * through a FIFO the node holds open for writing.
 */
public final class ProcessStreams {
    private static final Logger LOG = Logger.getLogger(ProcessStreams.class.getName());
    public static final String STDOUT_FIFO = "stdout.fifo";
    public static final String STDERR_FIFO = "stderr.fifo";
    public static final String STDIN_FIFO = "stdin.fifo";

    private final Fifos fifos;
    private final Clock clock;

    public ProcessStreams(Fifos fifos, Clock clock) {
        this.fifos = fifos;
        this.clock = clock;
    }

    /** Refuses endpoints this sandboxer cannot serve, before anything is created. */
    public static void check(Stdio stdio, String what) {
        if (stdio.terminal()) {
            throw new SandboxException(Reason.UNIMPLEMENTED, what + ": terminals (tty) are not supported by this "
                    + "sandboxer yet");
        }
        for (Endpoint e : new Endpoint[] {stdio.stdin(), stdio.stdout(), stdio.stderr()}) {
            if (e instanceof Endpoint.Address a) {
                throw new SandboxException(Reason.UNIMPLEMENTED, what + ": stream address " + a.uri()
                        + " is for out-of-process sandboxes");
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
        Path p = stdio.stdout() instanceof Endpoint.CriLog c ? c.path()
                : stdio.stderr() instanceof Endpoint.CriLog c2 ? c2.path() : null;
        return p == null ? null : new CriLogWriter(p, clock);
    }

    /** Creates the FIFOs, starts the readers and opens stdin; returns what the runtime's streams become. */
    public StdioPaths attach(OciProcess process, Stdio stdio, Path dir, CriLogWriter log, String name) throws IOException {
        Path out = output(process, stdio.stdout(), dir.resolve(STDOUT_FIFO), log, "stdout", name);
        Path err = output(process, stdio.stderr(), dir.resolve(STDERR_FIFO), log, "stderr", name);
        Path in = StdioPaths.DEV_NULL;
        if (stdio.stdin() instanceof Endpoint.Fifo f) {
            in = f.path();
        } else if (stdio.stdin() instanceof Endpoint.InputChannel ic) {
            in = dir.resolve(STDIN_FIFO);
            fifos.create(in);
            // read-write: opening never blocks, and the runtime's read-only open then finds a writer
            FileChannel writer = FileChannel.open(in, StandardOpenOption.READ, StandardOpenOption.WRITE);
            process.stdin(writer);
            startStdinCopy(ic.channel(), process, name);
        }
        return new StdioPaths(in, out, err);
    }

    /** Starts readers on the FIFOs of a re-adopted container, continuing its CRI log. */
    public void reattach(OciProcess process, Path dir, CriLogWriter log, String name) {
        for (String[] s : new String[][] {{STDOUT_FIFO, "stdout"}, {STDERR_FIFO, "stderr"}}) {
            Path fifo = dir.resolve(s[0]);
            if (Files.exists(fifo) && log != null) {
                process.addReader(FifoReader.start(fifo, new OutputSink.CriLog(log, s[1]), name + "-" + s[1]));
            }
        }
    }

    private Path output(OciProcess process, Endpoint e, Path fifo, CriLogWriter log, String stream, String name)
            throws ErrnoException {
        OutputSink sink;
        if (e instanceof Endpoint.CriLog) {
            sink = new OutputSink.CriLog(log, stream);
        } else if (e instanceof Endpoint.OutputChannel oc) {
            sink = new OutputSink.Channel(oc.channel());
        } else if (e instanceof Endpoint.Fifo f) {
            return f.path();
        } else {
            return StdioPaths.DEV_NULL;
        }
        fifos.create(fifo);
        process.addReader(FifoReader.start(fifo, sink, name + "-" + stream));
        return fifo;
    }

    private static void startStdinCopy(ReadableByteChannel source, OciProcess process, String name) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            try {
                while (source.read(buf.clear()) >= 0) {
                    FileChannel w = process.stdin();
                    if (w == null) {
                        return; // closeIO
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        w.write(buf);
                    }
                }
                process.closeStdin(); // the client ended its input: the process reads end-of-file
            } catch (IOException ex) {
                LOG.log(Level.FINE, "stdin copy of " + name + " ended", ex);
            }
        }, name + "-stdin");
        t.setDaemon(true);
        t.start();
    }
}
