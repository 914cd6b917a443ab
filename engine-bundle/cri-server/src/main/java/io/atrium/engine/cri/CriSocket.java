package io.atrium.engine.cri;

import io.atrium.sandbox.api.NodePaths;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Where the CRI socket lives and the file-system chores around binding it. */
final class CriSocket {
    /** Framework property overriding the socket path. */
    static final String SOCKET_PROPERTY = "atrium.cri.socket";
    static final String SOCKET_NAME = "atrium.sock";
    static final String DEFAULT_STATE = "/run/atrium";
    /** Owner and group (kubelet's group) may connect; nobody else. */
    static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-rw----");

    private CriSocket() {}

    /** {@value #SOCKET_PROPERTY}, else {@code <atrium.state>/atrium.sock}. */
    static Path resolve(UnaryOperator<String> frameworkProperty) {
        String explicit = frameworkProperty.apply(SOCKET_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit.trim());
        }
        String state = frameworkProperty.apply(NodePaths.STATE_PROPERTY);
        return Path.of(state == null || state.isBlank() ? DEFAULT_STATE : state.trim()).resolve(SOCKET_NAME);
    }

    /**
     * Makes the path bindable: creates the directory and unlinks a socket left behind by a
     * previous run. A socket somebody still answers on is another live runtime and is left alone.
     */
    static void prepare(Path socket) throws IOException {
        Files.createDirectories(socket.toAbsolutePath().getParent());
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(socket, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(socket + " exists and is not a socket; refusing to remove it");
        }
        if (answers(socket)) {
            throw new IOException("another server is listening on " + socket);
        }
        Files.delete(socket);
    }

    static void secure(Path socket) throws IOException {
        Files.setPosixFilePermissions(socket, MODE);
    }

    private static boolean answers(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException refused) {
            return false;
        }
    }
}
