package io.atrium.ttrpc;

import com.google.protobuf.Message;

/**
 * Serves one ttrpc method. Throw {@link TtrpcException} for a chosen status; a
 * {@link io.atrium.sandbox.api.SandboxException} is answered with its reason's code and any other
 * exception with UNKNOWN. When the call's deadline passes the server answers DEADLINE_EXCEEDED
 * and interrupts the handler.
 */
@FunctionalInterface
public interface UnaryHandler<Q extends Message, R extends Message> {
    R handle(Q request, CallContext context) throws Exception;
}
