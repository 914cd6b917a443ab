package io.atrium.engine.cni;

import java.io.IOException;

/** A pod's network could not be set up, checked or torn down; the message names the plugin and its error. */
public class PodNetworkException extends IOException {
    private static final long serialVersionUID = 1L;

    public PodNetworkException(String message) {
        super(message);
    }

    public PodNetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
