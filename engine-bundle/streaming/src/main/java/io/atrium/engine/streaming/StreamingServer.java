package io.atrium.engine.streaming;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Serves CRI Exec, Attach and PortForward streams. Each call registers one request and returns the
 * URL to connect to ({@code http(s)://host:port/{exec,attach,portforward}/<token>}); the token is
 * single-use and expires (one minute by default). The streams are served in the protocols kubelet's
 * own streaming server offers: remote command over SPDY/3.1 and WebSocket, port-forward over both.
 */
@ProviderType
public interface StreamingServer {

    /** Registers an exec; the process is created when the client connects. */
    String exec(ExecTarget target);

    /** Registers an attach to a running container's main process. */
    String attach(AttachTarget target);

    /** Registers a port-forward into a pod. */
    String portForward(PortForwardTarget target);
}
