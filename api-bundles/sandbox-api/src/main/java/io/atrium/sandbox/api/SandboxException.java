package io.atrium.sandbox.api;

/** A sandbox or task call that failed for a reason the engine can report to its client. */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a call failed; maps one-to-one onto gRPC status codes. */
    public enum Reason {
        INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE,
        UNIMPLEMENTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, PERMISSION_DENIED, INTERNAL
    }

    private final Reason reason;

    public SandboxException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public SandboxException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static SandboxException notFound(String what, String id) {
        return new SandboxException(Reason.NOT_FOUND, what + " " + id + " not found");
    }

    public static SandboxException invalid(String message) {
        return new SandboxException(Reason.INVALID_ARGUMENT, message);
    }
}
