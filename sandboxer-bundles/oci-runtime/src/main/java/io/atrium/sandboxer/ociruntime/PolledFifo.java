package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.tty.ReadPoller;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An output FIFO read by the sandboxer's shared {@link ReadPoller} thread instead of a thread of its
 * own: used where the sink never blocks (the CRI log, plus attached clients behind their queues), so
 * that a container costs no reader threads. Semantics are those of {@link FifoReader}: the FIFO is
 * read until every writer left; {@link #stop()} leaves unread data for the next reader.
 */
final class PolledFifo implements OutputPump, ReadPoller.Handler {
    private static final Logger LOG = Logger.getLogger(PolledFifo.class.getName());

    private final Path fifo;
    private final OutputSink sink;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private ReadPoller.Registration registration;
    private boolean failed;

    private PolledFifo(Path fifo, OutputSink sink) {
        this.fifo = fifo;
        this.sink = sink;
    }

    static PolledFifo start(ReadPoller poller, Path fifo, OutputSink sink) throws ErrnoException {
        PolledFifo p = new PolledFifo(fifo, sink);
        NativeFd fd = ReadPoller.openFifo(fifo);
        try {
            p.registration = poller.register(fd, p);
        } catch (ErrnoException e) {
            fd.close();
            throw e;
        }
        return p;
    }

    @Override
    public void data(byte[] data, int length) {
        if (failed) {
            return;
        }
        try {
            sink.write(data, length);
        } catch (IOException e) {
            failed = true; // e.g. the log's disk is full: reported once, the container runs on
            LOG.log(Level.WARNING, "writing output of " + fifo + " failed", e);
        }
    }

    @Override
    public void end() {
        try {
            sink.finish();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "flushing output of " + fifo + " failed", e);
        } finally {
            done.complete(null);
        }
    }

    @Override
    public CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void stop() {
        try {
            registration.cancel().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning("reader of " + fifo + " did not stop within 5s");
        }
    }
}
