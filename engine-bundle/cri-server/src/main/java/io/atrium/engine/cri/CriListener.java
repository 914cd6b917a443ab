package io.atrium.engine.cri;

import io.atrium.host.spi.ListeningSocket;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The listening CRI socket the server accepts on: lent by the host (which keeps it open across
 * updates of this bundle), or bound by the server itself when no host lends one (tests, other
 * embeddings), in which case closing it removes it.
 */
final class CriListener implements AutoCloseable {
    /** Pending connections the kernel may queue while nobody accepts (capped by net.core.somaxconn). */
    static final int BACKLOG = 4096;

    private final Path path;
    private final ServerSocketChannel channel;
    private final boolean owned;

    private CriListener(Path path, ServerSocketChannel channel, boolean owned) {
        this.path = path;
        this.channel = channel;
        this.owned = owned;
    }

    static CriListener lent(ListeningSocket socket) throws IOException {
        if (!socket.channel().isOpen()) {
            throw new IOException("the host lent a closed CRI socket " + socket.path());
        }
        return new CriListener(socket.path(), socket.channel(), false);
    }

    /** Binds {@code path} (mode 0660), replacing a stale socket file but never a live server's. */
    static CriListener bind(Path path) throws IOException {
        CriSocket.prepare(path);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            CriSocket.secure(path);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new CriListener(path, channel, true);
    }

    Path path() {
        return path;
    }

    ServerSocketChannel channel() {
        return channel;
    }

    boolean owned() {
        return owned;
    }

    /** Closes and unlinks a socket this server bound; leaves a lent one to its owner. */
    @Override
    public void close() throws IOException {
        if (owned) {
            channel.close();
            Files.deleteIfExists(path);
        }
    }
}
