package io.atrium.engine.streaming.server;

import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.bindings.ns.NamespaceType;
import io.atrium.bindings.ns.PinMethod;
import io.atrium.bindings.ns.PinnedNamespaces;
import io.atrium.bindings.ns.PodNamespaces;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;

/**
 * Opens a connection to a port on a pod's loopback. The pod's sandboxer is asked first (a VM or a
 * user-space kernel has its own network stack); when it has no port-forward of its own, the socket
 * is created on a throw-away thread that has joined the pod's pinned network namespace, so it
 * belongs to that namespace for its whole life while every JVM thread stays where it was.
 */
final class PodPortDialer {
    private final PodNamespaces namespaces;

    PodPortDialer(Path stateDir) {
        Syscalls sys = new Syscalls();
        this.namespaces = new PodNamespaces(sys, new Mounts(sys), stateDir.resolve("netns"), PinMethod.THREAD);
    }

    ByteChannel open(PortForwardTarget target, int port) throws IOException {
        try {
            return target.sandboxer().portForward(target.podSandboxId(), port);
        } catch (SandboxException e) {
            if (e.reason() != SandboxException.Reason.UNIMPLEMENTED) {
                throw e;
            }
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        if (target.netns() == null) {
            return SocketChannel.open(address); // a host-network pod: its loopback is the node's
        }
        PinnedNamespaces ns = new PinnedNamespaces(target.podSandboxId(), target.netns().getParent(),
                Map.of(NamespaceType.NET, target.netns()));
        return namespaces.run(ns, () -> SocketChannel.open(address));
    }
}
