package io.atrium.host.admin;

/** A refused admin request; {@code code} uses gRPC status names so every client reads them alike. */
public final class AdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public AdminException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static AdminException invalid(String message) {
        return new AdminException("INVALID_ARGUMENT", message);
    }

    public static AdminException notFound(String message) {
        return new AdminException("NOT_FOUND", message);
    }

    public static AdminException failed(String message) {
        return new AdminException("FAILED_PRECONDITION", message);
    }
}
