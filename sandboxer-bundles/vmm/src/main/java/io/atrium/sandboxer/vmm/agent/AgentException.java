package io.atrium.sandboxer.vmm.agent;

import java.io.IOException;

/**
 * A call to the guest agent failed: either the agent answered with a status ({@link #code()} is a
 * gRPC status code, as ttrpc carries it) or the connection broke ({@link #code()} is
 * {@link #UNAVAILABLE}).
 */
public final class AgentException extends IOException {
    private static final long serialVersionUID = 1L;
    public static final int NOT_FOUND = 5;
    public static final int ALREADY_EXISTS = 6;
    public static final int FAILED_PRECONDITION = 9;
    public static final int INVALID_ARGUMENT = 3;
    public static final int DEADLINE_EXCEEDED = 4;
    public static final int UNIMPLEMENTED = 12;
    public static final int UNAVAILABLE = 14;

    private final int code;

    public AgentException(int code, String message) {
        super(message);
        this.code = code;
    }

    public AgentException(int code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
