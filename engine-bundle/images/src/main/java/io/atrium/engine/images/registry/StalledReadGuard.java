package io.atrium.engine.images.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body that gives up when the registry stops sending. The JDK HttpClient's request
 * timeout ends when the headers arrive, so a registry that stalls mid-blob would otherwise hang
 * the pull forever; this closes the stream after {@code limit} without a byte, which makes the
 * blocked read fail.
 */
final class StalledReadGuard extends FilterInputStream {

    private final Duration limit;
    private final String what;
    private final ScheduledFuture<?> check;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean stalled;

    StalledReadGuard(InputStream in, Duration limit, String what, ScheduledExecutorService watch) {
        super(in);
        this.limit = limit;
        this.what = what;
        long period = Math.max(50, limit.toMillis() / 4);
        this.check = watch.scheduleAtFixedRate(this::checkProgress, period, period, TimeUnit.MILLISECONDS);
    }

    private void checkProgress() {
        if (System.nanoTime() - lastProgress > limit.toNanos()) {
            stalled = true;
            check.cancel(false);
            try {
                in.close();
            } catch (IOException ignored) {
                // the reader sees the failure
            }
        }
    }

    private int progressed(int n) throws IOException {
        if (stalled) {
            throw new IOException(what + " sent nothing for " + limit.toSeconds() + " s; gave up");
        }
        if (n > 0) {
            lastProgress = System.nanoTime();
        }
        return n;
    }

    @Override
    public int read() throws IOException {
        try {
            int b = super.read();
            return b < 0 ? progressed(b) : progressed(1) > 0 ? b : b;
        } catch (IOException e) {
            progressed(0);
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return progressed(super.read(b, off, len));
        } catch (IOException e) {
            progressed(0);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        super.close();
    }
}
