package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies a readable channel (a terminal master) into a sink on a thread of its own until end-of-file.
 * {@link #stop()} runs the given stopper (which closes or releases the channel, waking the read) and
 * waits for the thread.
 */
public final class ChannelReader implements OutputPump {
    private static final Logger LOG = Logger.getLogger(ChannelReader.class.getName());

    private final ReadableByteChannel channel;
    private final OutputSink sink;
    private final Runnable stopper;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean stopping;

    private ChannelReader(ReadableByteChannel channel, OutputSink sink, Runnable stopper) {
        this.channel = channel;
        this.sink = sink;
        this.stopper = stopper;
    }

    /** Starts reading {@code channel} on a new daemon thread. */
    public static ChannelReader start(ReadableByteChannel channel, OutputSink sink, Runnable stopper, String threadName) {
        ChannelReader r = new ChannelReader(channel, sink, stopper);
        Thread t = new Thread(r::run, threadName);
        t.setDaemon(true);
        t.start();
        return r;
    }

    private void run() {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32 * 1024);
            while (channel.read(buf.clear()) >= 0) {
                sink.write(buf.array(), buf.position());
            }
        } catch (IOException e) {
            if (!stopping) {
                LOG.log(Level.FINE, "reading terminal output ended", e);
            }
        } finally {
            try {
                sink.finish();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "flushing terminal output failed", e);
            }
            done.complete(null);
        }
    }

    @Override
    public CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void stop() {
        stopping = true;
        stopper.run();
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning("terminal reader did not stop within 5s");
        }
    }
}
