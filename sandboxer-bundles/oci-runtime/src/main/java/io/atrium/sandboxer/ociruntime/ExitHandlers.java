package io.atrium.sandboxer.ociruntime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/** The daemon threads on which a sandboxer records exits, and their orderly end when an instance closes. */
public final class ExitHandlers {
    private static final Logger LOG = Logger.getLogger(ExitHandlers.class.getName());

    private ExitHandlers() {
    }

    /** A cached pool of daemon threads named {@code <prefix>1}, {@code <prefix>2}... */
    public static ExecutorService executor(String threadPrefix) {
        AtomicInteger threads = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, threadPrefix + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Shuts the pool down and waits up to 10 s: an exit still being recorded must not write the pod file
     * after the next instance read it.
     */
    public static void shutdown(ExecutorService exits) {
        exits.shutdown();
        try {
            if (!exits.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warning("exit handlers still running 10s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
