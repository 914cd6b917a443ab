package io.atrium.sandboxer.vmm.stdio;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The host end of one VM's stdio multiplex: every container's and exec's stdin, stdout and stderr
 * over the single {@code io.atrium.stdio} virtio-serial port, as {@link StdioFrame}s. Output frames go
 * to the sinks registered for their id (the CRI log writer, exec collectors, attached clients);
 * stdin is written as frames from any thread.
 */
public final class StdioMux implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StdioMux.class.getName());

    /** Receives one process's output. Called on the mux's reader thread; must not block for long. */
    public interface Sink {
        void data(int stream, byte[] data) throws IOException;

        /** The guest closed {@code stream} (the process's end of it). */
        void closed(int stream);
    }

    private final SocketChannel channel;
    private final Map<String, List<Sink>> sinks = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean closing;

    private StdioMux(SocketChannel channel, String name) {
        this.channel = channel;
        this.reader = new Thread(this::readLoop, "atrium-vmm-stdio-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to QEMU's stdio chardev socket. */
    public static StdioMux connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to the VM's stdio port " + socket + ": " + e.getMessage(), e);
        }
        Path parent = socket.getParent();
        return new StdioMux(ch, parent == null ? "vm" : parent.getFileName().toString());
    }

    public void register(String id, Sink sink) {
        sinks.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(sink);
    }

    public void unregister(String id, Sink sink) {
        sinks.computeIfPresent(id, (k, list) -> {
            list.remove(sink);
            return list.isEmpty() ? null : list;
        });
    }

    /** Drops every sink of {@code id} (the process was deleted). */
    public void forget(String id) {
        sinks.remove(id);
    }

    /** Writes {@code data} to the stdin of process {@code id}. */
    public void stdin(String id, byte[] data) throws IOException {
        int max = StdioFrame.maxData(id);
        for (int off = 0; off < data.length; off += max) {
            byte[] part = java.util.Arrays.copyOfRange(data, off, Math.min(data.length, off + max));
            send(new StdioFrame(StdioFrame.DATA, StdioFrame.STDIN, id, part));
        }
    }

    /** Closes the stdin of process {@code id}. */
    public void closeStdin(String id) throws IOException {
        send(new StdioFrame(StdioFrame.CLOSE, StdioFrame.STDIN, id, null));
    }

    /** Copies {@code source} into the stdin of {@code id} on a thread of its own, closing stdin at its end. */
    public Thread pumpStdin(String id, ReadableByteChannel source, boolean closeAtEnd) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            try {
                while (source.read(buf) >= 0) {
                    buf.flip();
                    if (buf.hasRemaining()) {
                        byte[] b = new byte[buf.remaining()];
                        buf.get(b);
                        stdin(id, b);
                    }
                    buf.clear();
                }
                if (closeAtEnd) {
                    closeStdin(id);
                }
            } catch (IOException e) {
                LOG.log(Level.FINE, "stdin of " + id + " ended", e);
            }
        }, "atrium-vmm-stdin-" + id);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void send(StdioFrame f) throws IOException {
        ByteBuffer b = f.encode();
        synchronized (channel) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    public boolean isOpen() {
        return channel.isOpen() && reader.isAlive();
    }

    private void readLoop() {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 65536))) {
            while (true) {
                StdioFrame f = StdioFrame.read(in);
                List<Sink> list = sinks.get(f.id());
                if (list == null) {
                    continue; // a process nobody listens to (stdio None, or a container already deleted)
                }
                for (Sink s : list) {
                    try {
                        if (f.kind() == StdioFrame.DATA) {
                            s.data(f.stream(), f.data());
                        } else if (f.kind() == StdioFrame.CLOSE) {
                            s.closed(f.stream());
                        }
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.WARNING, "stdio sink of " + f.id() + " failed", e);
                    }
                }
            }
        } catch (EOFException e) {
            // QEMU closed the socket: the VM is gone
        } catch (IOException e) {
            if (!closing) {
                LOG.log(Level.WARNING, "stdio multiplex of the VM failed", e);
            }
        }
        // whoever still waits for output will never get more of it
        sinks.values().forEach(list -> list.forEach(s -> {
            s.closed(StdioFrame.STDOUT);
            s.closed(StdioFrame.STDERR);
        }));
    }

    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to report on closing a unix socket
        }
    }
}
