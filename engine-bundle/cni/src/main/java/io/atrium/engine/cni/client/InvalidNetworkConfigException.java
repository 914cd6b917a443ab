package io.atrium.engine.cni.client;

/** A network config file that cannot be used; the message says why. */
public final class InvalidNetworkConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidNetworkConfigException(String message) {
        super(message);
    }
}
