package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies a client's input channel into a process's stdin (its FIFO or terminal) on a thread of its
 * own. At end-of-file it calls {@code onEnd}; {@link #close()} stops it and interrupts the thread, which
 * also closes the source when it is an interruptible channel (as JDK pipes and sockets are).
 */
public final class InputPump implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InputPump.class.getName());

    /** Where the bytes go; false once the process's stdin is closed. */
    @FunctionalInterface
    public interface Target {
        boolean write(ByteBuffer data) throws IOException;
    }

    private final ReadableByteChannel source;
    private final Target target;
    private final Consumer<InputPump> onEnd;
    private final Thread thread;
    private volatile boolean closed;

    private InputPump(ReadableByteChannel source, Target target, Consumer<InputPump> onEnd, String threadName) {
        this.source = source;
        this.target = target;
        this.onEnd = onEnd;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /** @param onEnd called once when the source reached end-of-file (not when closed) */
    public static InputPump start(ReadableByteChannel source, Target target, Consumer<InputPump> onEnd, String threadName) {
        InputPump p = new InputPump(source, target, onEnd, threadName);
        p.thread.start();
        return p;
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try {
            while (!closed) {
                if (source.read(buf.clear()) < 0) {
                    if (!closed) {
                        onEnd.accept(this);
                    }
                    return;
                }
                buf.flip();
                if (closed || !target.write(buf)) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "input copy " + thread.getName() + " ended", e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (Thread.currentThread() != thread) {
                thread.interrupt();
            }
        }
    }
}
