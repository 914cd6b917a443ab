package io.atrium.ttrpc;

import java.io.IOException;

/**
 * The peer broke the ttrpc framing: truncated frame, unknown message type, a length whose
 * reserved first byte is set, or a message where none is allowed. The connection cannot be
 * trusted after this and is closed.
 */
public class TtrpcProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public TtrpcProtocolException(String message) {
        super(message);
    }
}
