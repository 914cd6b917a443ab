package io.atrium.engine.cni.client;

/**
 * A plugin invocation failed: the plugin reported a CNI error, produced output that is not CNI,
 * timed out or could not be found. The message names the plugin, the command and the cause.
 */
public final class CniPluginException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The CNI error code the plugin returned, or 0 when the failure did not come with one. */
    private final int code;

    public CniPluginException(String message, int code) {
        super(message);
        this.code = code;
    }

    public CniPluginException(String message, Throwable cause) {
        super(message, cause);
        this.code = 0;
    }

    public int code() {
        return code;
    }
}
