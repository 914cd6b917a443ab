package io.atrium.ttrpc;

import io.atrium.sandbox.api.SandboxException.Reason;

/** gRPC status codes, which ttrpc carries in {@code Response.status.code}. */
public enum StatusCode {
    OK(0), CANCELLED(1), UNKNOWN(2), INVALID_ARGUMENT(3), DEADLINE_EXCEEDED(4), NOT_FOUND(5), ALREADY_EXISTS(6),
    PERMISSION_DENIED(7), RESOURCE_EXHAUSTED(8), FAILED_PRECONDITION(9), ABORTED(10), OUT_OF_RANGE(11),
    UNIMPLEMENTED(12), INTERNAL(13), UNAVAILABLE(14), DATA_LOSS(15), UNAUTHENTICATED(16);

    private static final StatusCode[] BY_VALUE = values();

    private final int value;

    StatusCode(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    /** The code for a wire value; values gRPC does not define are UNKNOWN, as gRPC itself treats them. */
    public static StatusCode of(int value) {
        return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : UNKNOWN;
    }

    /** The Sandbox API failure category closest to this code (never called for OK). */
    public Reason toReason() {
        return switch (this) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> Reason.INVALID_ARGUMENT;
            case NOT_FOUND -> Reason.NOT_FOUND;
            case ALREADY_EXISTS -> Reason.ALREADY_EXISTS;
            case FAILED_PRECONDITION, ABORTED -> Reason.FAILED_PRECONDITION;
            case UNAVAILABLE, CANCELLED -> Reason.UNAVAILABLE;
            case UNIMPLEMENTED -> Reason.UNIMPLEMENTED;
            case DEADLINE_EXCEEDED -> Reason.DEADLINE_EXCEEDED;
            case RESOURCE_EXHAUSTED -> Reason.RESOURCE_EXHAUSTED;
            case PERMISSION_DENIED, UNAUTHENTICATED -> Reason.PERMISSION_DENIED;
            case OK, UNKNOWN, INTERNAL, DATA_LOSS -> Reason.INTERNAL;
        };
    }

    /** The code a server answers with when a handler fails with a Sandbox API reason. */
    public static StatusCode fromReason(Reason reason) {
        return switch (reason) {
            case INVALID_ARGUMENT -> INVALID_ARGUMENT;
            case NOT_FOUND -> NOT_FOUND;
            case ALREADY_EXISTS -> ALREADY_EXISTS;
            case FAILED_PRECONDITION -> FAILED_PRECONDITION;
            case UNAVAILABLE -> UNAVAILABLE;
            case UNIMPLEMENTED -> UNIMPLEMENTED;
            case DEADLINE_EXCEEDED -> DEADLINE_EXCEEDED;
            case RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED;
            case PERMISSION_DENIED -> PERMISSION_DENIED;
            case INTERNAL -> INTERNAL;
        };
    }
}
