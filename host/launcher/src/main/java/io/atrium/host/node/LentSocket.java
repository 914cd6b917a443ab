package io.atrium.host.node;

import io.atrium.host.spi.ListeningSocket;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Hashtable;
import java.util.Set;
import java.util.logging.Logger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A unix socket the host binds once and lends to a bundle through the {@link ListeningSocket}
 * service. It stays open until the node stops, so while the serving bundle is updated new clients
 * queue in the accept backlog instead of being refused.
 */
final class LentSocket implements ListeningSocket, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LentSocket.class.getName());
    /** Connections that may queue while no bundle accepts; the kernel caps it at net.core.somaxconn. */
    static final int BACKLOG = 4096;

    private final String name;
    private final Path path;
    private final ServerSocketChannel channel;
    private ServiceRegistration<ListeningSocket> registration;

    private LentSocket(String name, Path path, ServerSocketChannel channel) {
        this.name = name;
        this.path = path;
        this.channel = channel;
    }

    /**
     * Binds {@code path} with the given file mode. A socket file left by a crashed node is replaced;
     * one that still answers belongs to a live runtime and start-up stops.
     */
    static LentSocket bind(String name, Path path, Set<PosixFilePermission> mode) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                throw new IOException(name + " socket path " + path + " exists and is not a socket; refusing to remove it");
            }
            if (answers(path)) {
                throw new IOException("another server is listening on the " + name + " socket " + path);
            }
            Files.delete(path);
        }
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            Files.setPosixFilePermissions(path, mode);
            channel.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new LentSocket(name, path, channel);
    }

    /** Offers the socket to bundles; the service is registered by the system bundle. */
    void register(BundleContext systemContext) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(NAME_PROPERTY, name);
        registration = systemContext.registerService(ListeningSocket.class, this, props);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ServerSocketChannel channel() {
        return channel;
    }

    /** Closes the socket and removes its file; call after the framework (and so the borrower) stopped. */
    @Override
    public void close() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework stopped and took its registrations with it
            }
            registration = null;
        }
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warning("closing the " + name + " socket " + path + ": " + e.getMessage());
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException refused) {
            return false;
        }
    }
}
