package io.atrium.image.api;

/** An image or snapshot operation that failed for a reason a client can be told. */
public class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed; each maps onto one gRPC status code at the engine's edge. */
    public enum Reason {
        INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, UNAUTHENTICATED, PERMISSION_DENIED, FAILED_PRECONDITION,
        UNAVAILABLE, RESOURCE_EXHAUSTED, DATA_LOSS, UNIMPLEMENTED, INTERNAL
    }

    private final Reason reason;

    public ImageException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ImageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static ImageException invalid(String message) {
        return new ImageException(Reason.INVALID_ARGUMENT, message);
    }

    public static ImageException notFound(String message) {
        return new ImageException(Reason.NOT_FOUND, message);
    }
}
