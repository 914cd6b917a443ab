package io.atrium.ttrpc;

import com.google.protobuf.Any;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.ttrpc.proto.Status;
import java.util.List;
import java.util.Objects;

/**
 * A ttrpc call that ended with a non-OK status: sent by the server, or raised locally for a
 * deadline, a lost connection or a refused request. {@link #getMessage()} names the call.
 */
public class TtrpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final StatusCode code;
    private final String statusMessage;
    private final transient List<Any> details;

    public TtrpcException(StatusCode code, String statusMessage) {
        this(code, statusMessage, List.of(), null, null);
    }

    public TtrpcException(StatusCode code, String statusMessage, Throwable cause) {
        this(code, statusMessage, List.of(), null, cause);
    }

    private TtrpcException(StatusCode code, String statusMessage, List<Any> details, String call, Throwable cause) {
        super((call == null ? "" : call + ": ") + code + ": " + statusMessage, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.statusMessage = statusMessage == null ? "" : statusMessage;
        this.details = List.copyOf(details);
    }

    /** The exception for a status received from a peer; {@code call} is "service/method". */
    public static TtrpcException fromStatus(Status status, String call) {
        return new TtrpcException(StatusCode.of(status.getCode()), status.getMessage(), status.getDetailsList(), call,
                null);
    }

    /** The same status, with the caller's stack and the call named; {@code this} becomes the cause. */
    TtrpcException forCall(String call) {
        return new TtrpcException(code, statusMessage, details, call, this);
    }

    public StatusCode code() {
        return code;
    }

    /** The status message as sent, without the code or call name. */
    public String statusMessage() {
        return statusMessage;
    }

    public List<Any> details() {
        return details;
    }

    public Status toStatus() {
        return Status.newBuilder().setCode(code.value()).setMessage(statusMessage).addAllDetails(details).build();
    }

    /** The Sandbox API category for this failure. */
    public SandboxException.Reason reason() {
        return code.toReason();
    }

    /** This failure as the Sandbox API reports it, with {@code operation} leading the message. */
    public SandboxException toSandboxException(String operation) {
        return new SandboxException(reason(), operation + ": " + getMessage(), this);
    }
}
