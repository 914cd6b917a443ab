package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.tty.FdChannel;
import io.atrium.bindings.tty.Pty;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The live streams of one process: the pumps copying its output (FIFO readers or the terminal reader)
 * through {@link OutputFanout}s to the log and attached clients, the write end of its stdin (a FIFO
 * held open by the node, or the terminal master) and the pumps feeding it from clients.
 *
 * <p>stdin rules: a client's end-of-file closes the process's stdin when the client owns it (an exec's
 * own channel) or the process is {@code stdinOnce}; otherwise attached clients come and go while stdin
 * stays open. Closing stdin of a terminal sends the EOF character (^D), since a terminal has no
 * separate input to close.
 */
public final class ProcessIo {
    private static final Logger LOG = Logger.getLogger(ProcessIo.class.getName());
    private static final byte EOT = 0x04;

    private final List<OutputPump> readers = new ArrayList<>(); // guarded by this
    private final List<InputPump> inputs = new ArrayList<>(); // guarded by this
    private final Object stdinLock = new Object();
    private WritableByteChannel stdin; // guarded by stdinLock: a FIFO writer, or the console
    private FdChannel console; // guarded by this
    private FdChannel stdinFifo; // guarded by this
    private OutputFanout stdout; // guarded by this
    private OutputFanout stderr; // guarded by this
    private boolean stdinOnce; // guarded by this
    private boolean consoleInput; // guarded by this
    private int attachedWithStdin; // guarded by this
    // A stdin FIFO must stay open until the runtime has opened its read end: closing the node's only
    // descriptor earlier would drop what is buffered and leave the runtime's open waiting for a writer.
    private boolean stdinAwaitsRuntime; // guarded by this
    private boolean stdinClosePending; // guarded by this

    synchronized void addReader(OutputPump r) {
        readers.add(r);
    }

    synchronized void outputs(OutputFanout stdout, OutputFanout stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    synchronized void stdinOnce(boolean once) {
        this.stdinOnce = once;
    }

    /** The terminal master; client input goes to it when {@code input} (the process was given a stdin). */
    void console(FdChannel master, boolean input) {
        synchronized (this) {
            console = master;
            consoleInput = input;
        }
        if (input) {
            synchronized (stdinLock) {
                stdin = master;
            }
        }
    }

    /** The FIFO the process reads stdin from, held open read-write by the node. */
    void stdinFifo(FdChannel writer) {
        synchronized (this) {
            stdinFifo = writer;
            stdinAwaitsRuntime = true;
        }
        synchronized (stdinLock) {
            stdin = writer;
        }
    }

    public synchronized boolean terminal() {
        return console != null;
    }

    public synchronized boolean stdinOnce() {
        return stdinOnce;
    }

    /** Whether the terminal takes client input (the process was given a stdin). */
    public synchronized boolean consoleInput() {
        return consoleInput;
    }

    /**
     * Who holds the descriptors of {@link #heldFds()}: this JVM, by pid and start time. A later owner
     * adopts the numbers only when this still matches (same JVM, so the descriptors are still ours).
     */
    public static String fdOwner() {
        ProcessHandle me = ProcessHandle.current();
        return me.pid() + "@" + me.info().startInstant().map(Object::toString).orElse("unknown");
    }

    /** Descriptor numbers of the terminal master and the stdin FIFO writer (0 if none), to hand them over. */
    public synchronized int[] heldFds() {
        return new int[] {console == null ? 0 : console.fd(), stdinFifo == null ? 0 : stdinFifo.fd()};
    }

    /** Writes client input to the process; false once its stdin is closed. */
    boolean writeStdin(ByteBuffer data) throws IOException {
        synchronized (stdinLock) {
            if (stdin == null) {
                return false;
            }
            while (data.hasRemaining()) {
                stdin.write(data);
            }
            return true;
        }
    }

    /** Copies {@code source} into stdin; its end-of-file closes stdin when {@code closesStdin}. */
    InputPump pump(java.nio.channels.ReadableByteChannel source, boolean closesStdin, String threadName) {
        InputPump p = InputPump.start(source, this::writeStdin, ended -> {
            forget(ended);
            if (closesStdin) {
                closeStdin();
            }
        }, threadName);
        synchronized (this) {
            inputs.add(p);
        }
        return p;
    }

    private synchronized void forget(InputPump p) {
        inputs.remove(p);
    }

    /** Sets the terminal's window size (columns x rows). */
    public void resize(int width, int height) throws IOException {
        FdChannel c;
        synchronized (this) {
            c = console;
        }
        if (c == null || !c.isOpen()) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "the process has no terminal");
        }
        Pty.setWindowSize(c.fd(), height, width);
    }

    /**
     * Attaches a client: a copy of later output goes to its output channels, its input to stdin.
     * Closing the handle detaches it; with {@code stdinOnce} the first client that had input closes stdin.
     */
    public AutoCloseable attach(Stdio client, String threadName) {
        List<AutoCloseable> parts = new ArrayList<>();
        boolean withStdin = client.stdin() instanceof Endpoint.InputChannel;
        boolean once;
        synchronized (this) {
            if (withStdin && stdinClosed()) {
                throw new SandboxException(Reason.FAILED_PRECONDITION, "the process takes no input (it was started "
                        + "without stdin, or its stdin was closed)");
            }
            if (client.stdout() instanceof Endpoint.OutputChannel oc && stdout != null) {
                parts.add(stdout.add(oc.channel(), threadName + "-out"));
            }
            if (client.stderr() instanceof Endpoint.OutputChannel ec && stderr != null && console == null) {
                parts.add(stderr.add(ec.channel(), threadName + "-err"));
            }
            once = stdinOnce;
            if (withStdin) {
                attachedWithStdin++;
            }
        }
        InputPump in = withStdin ? pump(((Endpoint.InputChannel) client.stdin()).channel(), once, threadName + "-in") : null;
        boolean[] closed = {false};
        return () -> {
            synchronized (closed) {
                if (closed[0]) {
                    return;
                }
                closed[0] = true;
            }
            for (AutoCloseable p : parts) {
                p.close();
            }
            if (in != null) {
                in.close();
                forget(in);
                if (once) {
                    closeStdin(); // CRI stdin_once: the first client's detach ends the container's input
                }
            }
        };
    }

    private boolean stdinClosed() {
        synchronized (stdinLock) {
            return stdin == null;
        }
    }

    /** The runtime has opened the stdin FIFO for the process: a close asked for meanwhile happens now. */
    public void runtimeOpenedStdin() {
        boolean close;
        synchronized (this) {
            stdinAwaitsRuntime = false;
            close = stdinClosePending;
            stdinClosePending = false;
        }
        if (close) {
            closeStdin();
        }
    }

    /** Gives the process end-of-file on stdin and stops every input pump. */
    public void closeStdin() {
        List<InputPump> ps;
        synchronized (this) {
            ps = List.copyOf(inputs);
            inputs.clear();
        }
        ps.forEach(InputPump::close);
        synchronized (this) {
            if (stdinAwaitsRuntime && stdinFifo != null) {
                stdinClosePending = true;
                return;
            }
        }
        WritableByteChannel in;
        synchronized (stdinLock) {
            in = stdin;
            stdin = null;
        }
        if (in == null) {
            return;
        }
        boolean isConsole;
        synchronized (this) {
            isConsole = in == console;
            if (in == stdinFifo) {
                stdinFifo = null;
            }
        }
        if (isConsole) {
            try {
                in.write(ByteBuffer.wrap(new byte[] {EOT}));
            } catch (IOException e) {
                LOG.log(Level.FINE, "sending EOF to a terminal", e);
            }
        } else {
            closeQuietly(in);
        }
    }

    /** Waits (bounded) for the output streams to end, so every line is written before the exit is reported. */
    public void drain(Duration timeout) {
        List<OutputPump> rs;
        synchronized (this) {
            rs = List.copyOf(readers);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (OutputPump r : rs) {
            r.awaitEnd(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /**
     * Stops everything: output pumps (unread FIFO data stays for a later reader), input pumps, attached
     * clients, stdin. With {@code handOver} the terminal master and stdin FIFO writer are released
     * without closing them, so that the process keeps its terminal and stdin for the next owner in this
     * JVM; otherwise they are closed.
     */
    public void detach(boolean handOver) {
        List<OutputPump> rs;
        List<InputPump> ps;
        FdChannel con;
        FdChannel fifo;
        OutputFanout out;
        OutputFanout err;
        synchronized (this) {
            rs = List.copyOf(readers);
            readers.clear();
            ps = List.copyOf(inputs);
            inputs.clear();
            con = console;
            fifo = stdinFifo;
            console = null;
            stdinFifo = null;
            out = stdout;
            err = stderr;
        }
        synchronized (stdinLock) {
            stdin = null;
        }
        ps.forEach(InputPump::close);
        if (con != null) {
            end(con, handOver); // wakes the terminal reader before it is waited for
        }
        rs.forEach(OutputPump::stop);
        if (fifo != null) {
            end(fifo, handOver);
        }
        if (out != null) {
            out.closeAll();
        }
        if (err != null) {
            err.closeAll();
        }
    }

    private static void end(FdChannel ch, boolean handOver) {
        try {
            if (handOver) {
                ch.release();
            } else {
                ch.close();
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing " + ch.fd(), e);
        }
    }

    private static void closeQuietly(WritableByteChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }
}
