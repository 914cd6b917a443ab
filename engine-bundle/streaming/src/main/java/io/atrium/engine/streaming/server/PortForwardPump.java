package io.atrium.engine.streaming.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies bytes both ways between a client's data stream and a connection into the pod, on two
 * workers (both sides block). The client finishing its sending half-closes the pod connection; the
 * pod side ending gives the client's direction a second to drain (as containerd does); the client's
 * connection going away ends both at once. Then everything is closed and the data stream ends.
 */
final class PortForwardPump {
    private static final Logger LOG = Logger.getLogger(PortForwardPump.class.getName());

    private PortForwardPump() {
    }

    /** Blocks until the forwarding is over. */
    static void run(Executor workers, ByteChannel pod, InboundPipe fromClient, OutboundStream toClient,
            CompletableFuture<Void> clientGone) {
        CompletableFuture<Void> up = CompletableFuture.runAsync(() -> {
            try {
                copy(fromClient, pod);
                if (pod instanceof SocketChannel sc && sc.isOpen()) {
                    sc.shutdownOutput(); // the client finished sending: the server in the pod reads end-of-file
                }
            } catch (IOException e) {
                LOG.log(Level.FINE, "port-forward client to pod ended", e);
            }
        }, workers);
        CompletableFuture<Void> down = CompletableFuture.runAsync(() -> {
            try {
                copy(pod, toClient);
            } catch (IOException e) {
                LOG.log(Level.FINE, "port-forward pod to client ended", e);
            }
        }, workers);
        try {
            CompletableFuture.anyOf(down, clientGone).get();
            if (!clientGone.isDone()) {
                up.get(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.FINE, "port-forward: the client's direction did not finish in time", e);
        } finally {
            try {
                pod.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing a port-forward connection", e);
            }
            fromClient.close();
            toClient.close();
        }
    }

    private static void copy(ReadableByteChannel from, WritableByteChannel to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        while (from.read(buf.clear()) >= 0) {
            buf.flip();
            while (buf.hasRemaining()) {
                to.write(buf);
            }
            if (!to.isOpen()) {
                return; // the client is gone
            }
        }
    }
}
