package io.atrium.ttrpc;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A bidirectional byte channel a ttrpc connection runs on. Reads happen on one thread while
 * writes happen on others, so both ends must be blocking and usable concurrently.
 * {@link #close()} must unblock a pending read (true for socket channels; for streams it depends
 * on the stream, e.g. a socket's streams).
 */
public interface Transport extends Closeable {

    ReadableByteChannel input();

    WritableByteChannel output();

    /** Connects to a Unix domain socket. */
    static Transport unixSocket(Path path) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot connect to ttrpc socket " + path + ": " + e.getMessage(), e);
        }
        return of(channel);
    }

    /** A connected, blocking socket channel (Unix or TCP). */
    static Transport of(SocketChannel channel) {
        if (!channel.isBlocking()) {
            throw new IllegalArgumentException("ttrpc needs a blocking channel");
        }
        return of(channel, channel, channel);
    }

    /** A stream pair, e.g. a vsock socket's streams; {@code closer} releases both. */
    static Transport of(InputStream in, OutputStream out, Closeable closer) {
        return of(Channels.newChannel(in), Channels.newChannel(out), closer);
    }

    /** A channel pair; {@code closer} releases both. */
    static Transport of(ReadableByteChannel in, WritableByteChannel out, Closeable closer) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(closer, "closer");
        return new Transport() {
            @Override
            public ReadableByteChannel input() {
                return in;
            }

            @Override
            public WritableByteChannel output() {
                return out;
            }

            @Override
            public void close() throws IOException {
                closer.close();
            }
        };
    }
}
