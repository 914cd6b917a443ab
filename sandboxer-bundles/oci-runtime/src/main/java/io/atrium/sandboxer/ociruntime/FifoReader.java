package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies one output FIFO of a container (or exec) into a sink on a thread of its own, until every
 * writer has closed the FIFO (end-of-file) or {@link #stop()} is called. The node only reads: the
 * container holds the FIFO read-write, so it never sees SIGPIPE when no node is reading, and a later
 * reader (the next bundle instance, or a restarted node) simply picks up where this one stopped.
 */
public final class FifoReader implements OutputPump {
    private static final Logger LOG = Logger.getLogger(FifoReader.class.getName());

    private final Path fifo;
    private final OutputSink sink;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean stopping;
    private FileChannel channel; // guarded by this

    private FifoReader(Path fifo, OutputSink sink) {
        this.fifo = fifo;
        this.sink = sink;
    }

    /** Starts reading {@code fifo} on a new daemon thread. */
    public static FifoReader start(Path fifo, OutputSink sink, String threadName) {
        FifoReader r = new FifoReader(fifo, sink);
        Thread t = new Thread(r::run, threadName);
        t.setDaemon(true);
        t.start();
        return r;
    }

    @Override
    public CompletableFuture<Void> done() {
        return done;
    }

    private void run() {
        try {
            if (stopping) {
                return;
            }
            FileChannel ch = FileChannel.open(fifo, StandardOpenOption.READ); // blocks until a writer opens it
            synchronized (this) {
                if (stopping) {
                    ch.close();
                    return;
                }
                channel = ch;
            }
            ByteBuffer buf = ByteBuffer.allocate(32 * 1024);
            while (ch.read(buf.clear()) >= 0) {
                sink.write(buf.array(), buf.position());
            }
        } catch (ClosedChannelException e) {
            // stop() closed the channel; what was not read yet stays in the FIFO for the next reader
        } catch (IOException e) {
            if (!stopping) {
                LOG.log(Level.WARNING, "reading " + fifo + " failed", e);
            }
        } finally {
            try {
                sink.finish();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "flushing output of " + fifo + " failed", e);
            }
            synchronized (this) {
                closeChannel();
            }
            done.complete(null);
        }
    }

    /** Stops reading, leaving unread data in the FIFO; waits briefly for the thread to flush. */
    @Override
    public void stop() {
        synchronized (this) {
            stopping = true;
            if (channel != null) {
                closeChannel();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!done.isDone() && System.nanoTime() < deadline) {
            Fifos.releaseBlockedOpen(fifo); // in case the thread still waits for a writer in open(2)
            try {
                done.get(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                // try again until the deadline
            }
        }
        if (!done.isDone()) {
            LOG.warning("reader of " + fifo + " did not stop within 5s");
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing " + fifo, e);
            }
            channel = null;
        }
    }
}
