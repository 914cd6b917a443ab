package io.atrium.sandboxer.wasm;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.Stdio.Endpoint;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A container's standard streams as Java streams for WASI. FIFOs are opened lazily on first use, so
 * creating the container never blocks waiting for the engine's end of the pipe.
 */
final class ContainerIo implements AutoCloseable {
    final InputStream stdin;
    final OutputStream stdout;
    final OutputStream stderr;
    private final List<AutoCloseable> owned = new ArrayList<>();

    ContainerIo(String containerId, Stdio stdio, Clock clock) {
        try {
            CriLog log = null;
            if (stdio.stdout() instanceof Endpoint.CriLog l) {
                log = new CriLog(l.path(), clock);
                owned.add(log);
            }
            CriLog errLog = log;
            if (stdio.stderr() instanceof Endpoint.CriLog l && (log == null || !l.equals(stdio.stdout()))) {
                errLog = new CriLog(l.path(), clock);
                owned.add(errLog);
            }
            this.stdout = output(stdio.stdout(), log, "stdout");
            this.stderr = stdio.terminal() ? stdout : output(stdio.stderr(), errLog, "stderr");
            this.stdin = input(stdio.stdin());
        } catch (IOException e) {
            close();
            throw new SandboxException(Reason.INTERNAL, "container " + containerId + ": cannot open its streams: "
                    + e.getMessage(), e);
        }
    }

    private OutputStream output(Endpoint e, CriLog log, String name) {
        OutputStream out;
        if (e instanceof Endpoint.CriLog) {
            out = log.stream(name);
        } else if (e instanceof Endpoint.OutputChannel c) {
            out = Channels.newOutputStream(c.channel());
        } else if (e instanceof Endpoint.Fifo f) {
            out = new LazyOutput(() -> new FileOutputStream(f.path().toFile()));
        } else if (e instanceof Endpoint.None) {
            out = OutputStream.nullOutputStream();
        } else {
            throw new SandboxException(Reason.UNIMPLEMENTED, "the wasm sandboxer cannot write a stream to " + e);
        }
        owned.add(out);
        return out;
    }

    private InputStream input(Endpoint e) {
        InputStream in;
        if (e instanceof Endpoint.InputChannel c) {
            in = Channels.newInputStream(c.channel());
        } else if (e instanceof Endpoint.Fifo f) {
            in = new LazyInput(() -> new FileInputStream(f.path().toFile()));
        } else if (e instanceof Endpoint.None) {
            in = InputStream.nullInputStream();
        } else {
            throw new SandboxException(Reason.UNIMPLEMENTED, "the wasm sandboxer cannot read stdin from " + e);
        }
        owned.add(in);
        return in;
    }

    /** Reopens the CRI log files (kubelet's log rotation). */
    void reopenLogs() throws IOException {
        for (AutoCloseable c : owned) {
            if (c instanceof CriLog log) {
                log.reopen();
            }
        }
    }

    /** Closes stdin only (CRI CloseIO): the module then reads end-of-file. */
    void closeStdin() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Flushes partial log lines and closes everything this container opened. */
    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // best effort: one stream failing to close must not keep the others open
            }
        }
    }

    @FunctionalInterface
    interface Opener<T> {
        T open() throws IOException;
    }

    private static final class LazyOutput extends OutputStream {
        private final Opener<OutputStream> opener;
        private OutputStream out;

        LazyOutput(Opener<OutputStream> opener) {
            this.opener = opener;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            target().write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            target().write(b, off, len);
        }

        private OutputStream target() throws IOException {
            if (out == null) {
                out = opener.open();
            }
            return out;
        }

        @Override
        public synchronized void close() throws IOException {
            if (out != null) {
                out.close();
            }
        }
    }

    private static final class LazyInput extends InputStream {
        private final Opener<InputStream> opener;
        private InputStream in;
        private boolean closed;

        LazyInput(Opener<InputStream> opener) {
            this.opener = opener;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            InputStream s;
            synchronized (this) {
                if (closed) {
                    return -1;
                }
                if (in == null) {
                    in = opener.open();
                }
                s = in;
            }
            return s.read(b, off, len);
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            if (in != null) {
                in.close();
            }
        }
    }
}
