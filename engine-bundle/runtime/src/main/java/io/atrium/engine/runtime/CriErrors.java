package io.atrium.engine.runtime;

import io.atrium.image.api.ImageException;
import io.atrium.sandbox.api.SandboxException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one place engine failures become gRPC statuses. */
final class CriErrors {
    private static final Logger LOG = Logger.getLogger(CriErrors.class.getName());

    private CriErrors() {}

    static StatusRuntimeException toStatus(String method, Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof SandboxException se) {
            status = switch (se.reason()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
                case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
                case INTERNAL -> Status.INTERNAL;
            };
        } else if (e instanceof ImageException ie) {
            status = switch (ie.reason()) {
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
                case PERMISSION_DENIED, UNAUTHENTICATED -> Status.PERMISSION_DENIED;
                case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
                default -> Status.INTERNAL;
            };
        } else if (e instanceof IllegalArgumentException) {
            status = Status.INVALID_ARGUMENT;
        } else {
            status = Status.INTERNAL;
        }
        if (status.getCode() == Status.Code.INTERNAL) {
            LOG.log(Level.WARNING, method + " failed", e);
        }
        return status.withDescription(method + ": " + e.getMessage()).withCause(e).asRuntimeException();
    }
}
