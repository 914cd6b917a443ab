package io.atrium.engine.cri;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * One call to a gRPC service whose provider is being swapped, held until the next provider is
 * bound. gRPC resolves a method once, when the call starts, and has nothing to park a call until a
 * handler exists, so this listener stands in: it queues what gRPC delivers, then starts the new
 * provider's handler on the same {@link ServerCall} and replays the queue into it. Messages stay
 * serialized bytes until then (the provider's own marshallers parse them), so no class of the old
 * provider is kept alive.
 */
final class DeferredCall extends ServerCall.Listener<InputStream> {

    private final ServerCall<InputStream, InputStream> call;
    private final Metadata headers;
    /** The call's context (deadline, cancellation), current when gRPC started the call. */
    private final Context context = Context.current();
    private final Consumer<DeferredCall> forget;
    private final List<Consumer<ServerCall.Listener<InputStream>>> queued = new ArrayList<>();
    private ServerCall.Listener<InputStream> delegate;
    private boolean over;
    private ScheduledFuture<?> timeout;

    DeferredCall(ServerCall<InputStream, InputStream> call, Metadata headers, Consumer<DeferredCall> forget) {
        this.call = call;
        this.headers = headers;
        this.forget = forget;
    }

    String method() {
        return call.getMethodDescriptor().getFullMethodName();
    }

    synchronized void timeout(ScheduledFuture<?> timeout) {
        this.timeout = timeout;
        if (over || delegate != null) {
            timeout.cancel(false);
        }
    }

    /** Hands the call to a provider's handler (raw-message form); a call already over is left alone. */
    void start(ServerCallHandler<InputStream, InputStream> handler) {
        synchronized (this) {
            if (over || delegate != null) {
                return;
            }
            cancelTimeout();
            Context previous = context.attach();
            try {
                ServerCall.Listener<InputStream> started = handler.startCall(call, headers);
                for (Consumer<ServerCall.Listener<InputStream>> event : queued) {
                    event.accept(started);
                }
                queued.clear();
                delegate = started;
            } catch (RuntimeException e) {
                over = true;
                call.close(Status.fromThrowable(e), new Metadata());
            } finally {
                context.detach(previous);
            }
        }
    }

    /** Answers the call with {@code status} unless a provider already took it. */
    void fail(Status status) {
        synchronized (this) {
            if (over || delegate != null) {
                return;
            }
            over = true;
            cancelTimeout();
            call.close(status, new Metadata());
        }
        forget.accept(this);
    }

    @Override
    public void onMessage(InputStream message) {
        deliver(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
        deliver(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onReady() {
        deliver(ServerCall.Listener::onReady);
    }

    @Override
    public void onComplete() {
        deliver(ServerCall.Listener::onComplete);
    }

    @Override
    public void onCancel() {
        ServerCall.Listener<InputStream> target;
        synchronized (this) {
            target = delegate;
            if (target == null) {
                // the client gave up (deadline, cancel) before a provider came: nothing to hand over
                over = true;
                cancelTimeout();
                queued.clear();
            }
        }
        if (target == null) {
            forget.accept(this);
        } else {
            target.onCancel();
        }
    }

    private void deliver(Consumer<ServerCall.Listener<InputStream>> event) {
        ServerCall.Listener<InputStream> target;
        synchronized (this) {
            if (delegate == null) {
                if (!over) {
                    queued.add(event);
                }
                return;
            }
            target = delegate;
        }
        event.accept(target);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
