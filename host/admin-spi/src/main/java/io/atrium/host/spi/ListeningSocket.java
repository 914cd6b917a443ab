package io.atrium.host.spi;

import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A listening unix socket the host binds once at node start and lends to the bundle that serves
 * it, registered by the host as an OSGi service with {@value #NAME_PROPERTY} naming its use.
 * Because the host keeps it open for the life of the node, a client connecting while the serving
 * bundle is being updated waits in the kernel's accept backlog instead of being refused.
 *
 * <p>The borrower accepts on {@link #channel()} and must never close it or unlink its file; when it
 * stops it only stops accepting. The channel is in non-blocking mode so it can be registered with
 * a selector.
 */
@ProviderType
public interface ListeningSocket {

    /** Service property: what the socket serves. */
    String NAME_PROPERTY = "socket.name";

    /** {@value #NAME_PROPERTY} of the Kubernetes CRI socket. */
    String CRI = "cri";

    /** The socket file. */
    Path path();

    /** The bound, listening channel; owned by the host, so never close it. */
    ServerSocketChannel channel();
}
