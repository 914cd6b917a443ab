package io.atrium.engine.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.CountDownLatch;

/**
 * Collects one output stream of an ExecSync process, up to a cap (like kubelet's own limit on
 * probe output); bytes beyond it are counted and dropped so a chatty command cannot exhaust the node.
 */
final class ExecOutput implements WritableByteChannel {
    static final int CAP = 16 * 1024 * 1024;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CountDownLatch closed = new CountDownLatch(1);
    private long dropped;

    @Override
    public synchronized int write(ByteBuffer src) {
        int n = src.remaining();
        int keep = (int) Math.min(n, CAP - bytes.size());
        if (keep > 0) {
            byte[] b = new byte[keep];
            src.get(b);
            bytes.write(b, 0, keep);
        }
        dropped += n - Math.max(keep, 0);
        src.position(src.limit());
        return n;
    }

    @Override
    public boolean isOpen() {
        return closed.getCount() > 0;
    }

    @Override
    public void close() {
        closed.countDown();
    }

    synchronized byte[] toByteArray() {
        return bytes.toByteArray();
    }

    synchronized long dropped() {
        return dropped;
    }
}
