package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One output stream of a process going to its primary sink (the CRI log, or an exec's channel) and
 * to every attached client. Each client gets its own bounded queue and writer thread, so a slow or
 * stalled client never holds up the log or other clients; a client whose queue overflows is dropped.
 */
public final class OutputFanout implements OutputSink {
    private static final Logger LOG = Logger.getLogger(OutputFanout.class.getName());
    /** How much output may wait for one client before it is dropped. */
    public static final int CLIENT_QUEUE_BYTES = 1024 * 1024;

    private final OutputSink primary;
    private final List<Client> clients = new CopyOnWriteArrayList<>();

    /** @param primary where the output always goes; null for nowhere but the clients */
    public OutputFanout(OutputSink primary) {
        this.primary = primary;
    }

    @Override
    public void write(byte[] data, int length) throws IOException {
        IOException failed = null;
        if (primary != null) {
            try {
                primary.write(data, length);
            } catch (IOException e) {
                failed = e;
            }
        }
        for (Client c : clients) {
            c.offer(data, length);
        }
        if (failed != null) {
            throw failed;
        }
    }

    @Override
    public void finish() throws IOException {
        if (primary != null) {
            primary.finish();
        }
    }

    /** Number of clients attached now. */
    public int clients() {
        return clients.size();
    }

    /** Sends a copy of all later output to {@code channel} until the returned handle is closed. */
    public AutoCloseable add(WritableByteChannel channel, String threadName) {
        Client c = new Client(channel);
        clients.add(c);
        Thread t = new Thread(c::run, threadName);
        t.setDaemon(true);
        t.start();
        return c::close;
    }

    /** Detaches every client (the process is gone, or this instance hands over). */
    public void closeAll() {
        clients.forEach(Client::close);
    }

    private final class Client {
        private final WritableByteChannel channel;
        private final ArrayDeque<byte[]> queue = new ArrayDeque<>(); // guarded by this
        private int queued; // guarded by this
        private boolean closed; // guarded by this

        Client(WritableByteChannel channel) {
            this.channel = channel;
        }

        synchronized void offer(byte[] data, int length) {
            if (closed) {
                return;
            }
            if (queued + length > CLIENT_QUEUE_BYTES) {
                LOG.warning("an attached client fell " + CLIENT_QUEUE_BYTES + " bytes behind; detaching it");
                closeLocked();
                return;
            }
            byte[] copy = new byte[length];
            System.arraycopy(data, 0, copy, 0, length);
            queue.add(copy);
            queued += length;
            notifyAll();
        }

        void run() {
            try {
                while (true) {
                    byte[] next;
                    synchronized (this) {
                        while (queue.isEmpty() && !closed) {
                            wait();
                        }
                        if (queue.isEmpty()) {
                            return; // closed and drained
                        }
                        next = queue.poll();
                        queued -= next.length;
                    }
                    ByteBuffer b = ByteBuffer.wrap(next);
                    while (b.hasRemaining()) {
                        channel.write(b);
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.FINE, "attached client went away", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        synchronized void close() {
            closeLocked();
        }

        private void closeLocked() {
            if (!closed) {
                closed = true;
                clients.remove(this);
                notifyAll();
            }
        }
    }
}
