package io.atrium.engine.cri;

import io.grpc.BindableService;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC services currently on the socket, as the server's handler registry. Several OSGi
 * services may implement the same gRPC service while a bundle is swapped; the highest ranking (then
 * the oldest) one is served and the next one takes over when it leaves, without the server
 * restarting.
 *
 * <p>When the last provider of a service leaves (its bundle is being updated or restarted), calls to
 * that service wait up to the swap bound for the next provider instead of failing: they are
 * answered {@code UNAVAILABLE} only when none comes in time. A service never served, or whose
 * providing bundle was uninstalled, answers {@code UNIMPLEMENTED} at once.
 */
final class CriServices extends HandlerRegistry {

    /** One bound OSGi service and its gRPC definition, also in raw-message form for deferred calls. */
    record Entry(BindableService service, ServerServiceDefinition definition, ServerServiceDefinition raw,
            int ranking, long serviceId, long bundleId) {
        String name() {
            return definition.getServiceDescriptor().getName();
        }
    }

    private static final Comparator<Entry> PREFERENCE = Comparator.comparingInt(Entry::ranking)
            .thenComparing(Comparator.comparingLong(Entry::serviceId).reversed());

    /** Deferred calls carry serialized messages; a request is copied because gRPC closes its stream. */
    private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            try {
                return new ByteArrayInputStream(stream.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final Duration swapWait;
    private final ScheduledExecutorService timer;
    private final List<Entry> bound = new ArrayList<>();
    /** Served entry per gRPC service name; replaced, never mutated, so lookups need no lock. */
    private volatile Map<String, Entry> served = Map.of();
    /** Services whose provider left, with the bundle that provided them last. */
    private final Map<String, Long> withdrawn = new HashMap<>();
    private final Map<String, Set<DeferredCall>> waiting = new HashMap<>();

    CriServices(Duration swapWait, ScheduledExecutorService timer) {
        this.swapWait = swapWait;
        this.timer = timer;
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        String service = MethodDescriptor.extractFullServiceName(methodName);
        if (service == null) {
            return null;
        }
        Entry entry = served.get(service);
        if (entry != null) {
            return entry.definition().getMethod(methodName);
        }
        synchronized (this) {
            entry = served.get(service); // a provider may have arrived since the read above
            if (entry != null) {
                return entry.definition().getMethod(methodName);
            }
            if (!withdrawn.containsKey(service)) {
                return null; // never served, or uninstalled: UNIMPLEMENTED
            }
        }
        MethodDescriptor<InputStream, InputStream> method = MethodDescriptor.<InputStream, InputStream>newBuilder()
                .setType(MethodDescriptor.MethodType.UNKNOWN)
                .setFullMethodName(methodName)
                .setRequestMarshaller(RAW)
                .setResponseMarshaller(RAW)
                .build();
        return ServerMethodDefinition.create(method, new ServerCallHandler<>() {
            @Override
            public ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, InputStream> call, Metadata headers) {
                return defer(service, call, headers);
            }
        });
    }

    @Override
    public List<ServerServiceDefinition> getServices() {
        return served.values().stream().map(Entry::definition).toList();
    }

    synchronized void add(BindableService service, int ranking, long serviceId, long bundleId) {
        ServerServiceDefinition definition = service.bindService();
        Entry entry = new Entry(service, definition, ServerInterceptors.useInputStreamMessages(definition), ranking,
                serviceId, bundleId);
        bound.add(entry);
        publish(entry.name());
    }

    synchronized void remove(BindableService service) {
        Optional<Entry> gone = bound.stream().filter(e -> e.service() == service).findFirst();
        gone.ifPresent(e -> {
            bound.remove(e);
            if (publish(e.name()) == null) {
                withdrawn.put(e.name(), e.bundleId());
            }
        });
    }

    /** The bundle is gone for good: calls waiting for the services it provided last fail now. */
    void uninstalled(long bundleId) {
        List<DeferredCall> orphans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        synchronized (this) {
            withdrawn.entrySet().removeIf(e -> {
                if (e.getValue() == bundleId) {
                    names.add(e.getKey());
                    orphans.addAll(waiting.getOrDefault(e.getKey(), Set.of()));
                    return true;
                }
                return false;
            });
        }
        for (DeferredCall call : orphans) {
            call.fail(Status.UNIMPLEMENTED.withDescription("Method not found: " + call.method()
                    + " (the bundle that served " + MethodDescriptor.extractFullServiceName(call.method())
                    + " was uninstalled)"));
        }
    }

    /** gRPC service names being served, e.g. {@code runtime.v1.RuntimeService}. */
    List<String> served() {
        return served.keySet().stream().sorted().toList();
    }

    synchronized int waitingCalls() {
        return waiting.values().stream().mapToInt(Set::size).sum();
    }

    /** Makes the best provider of {@code name} the served one; returns it, or null if none is left. */
    private Entry publish(String name) {
        Optional<Entry> best = bound.stream().filter(e -> e.name().equals(name)).max(PREFERENCE);
        Map<String, Entry> next = new HashMap<>(served);
        if (best.isPresent()) {
            next.put(name, best.get());
            withdrawn.remove(name);
        } else {
            next.remove(name);
        }
        served = Map.copyOf(next);
        if (best.isPresent()) {
            Set<DeferredCall> held = waiting.remove(name);
            if (held != null) {
                // handed over on the timer thread: starting a handler must not run under this lock
                Entry provider = best.get();
                timer.execute(() -> held.forEach(call -> resume(call, provider)));
            }
        }
        return best.orElse(null);
    }

    private ServerCall.Listener<InputStream> defer(String service, ServerCall<InputStream, InputStream> call,
            Metadata headers) {
        DeferredCall deferred = new DeferredCall(call, headers, self -> forget(service, self));
        Entry provider;
        synchronized (this) {
            provider = served.get(service);
            if (provider == null && withdrawn.containsKey(service)) {
                waiting.computeIfAbsent(service, s -> new HashSet<>()).add(deferred);
            }
        }
        if (provider != null) {
            resume(deferred, provider); // came back between the lookup and now
        } else if (!isWaiting(service, deferred)) {
            deferred.fail(Status.UNIMPLEMENTED.withDescription("Method not found: " + call.getMethodDescriptor()
                    .getFullMethodName()));
        } else {
            deferred.timeout(timer.schedule(() -> deferred.fail(Status.UNAVAILABLE.withDescription(
                    "no provider of " + service + " came back within " + swapWait.toMillis() + " ms")),
                    swapWait.toMillis(), TimeUnit.MILLISECONDS));
        }
        return deferred;
    }

    private synchronized boolean isWaiting(String service, DeferredCall call) {
        return waiting.getOrDefault(service, Set.of()).contains(call);
    }

    private synchronized void forget(String service, DeferredCall call) {
        Set<DeferredCall> held = waiting.get(service);
        if (held != null) {
            held.remove(call);
            if (held.isEmpty()) {
                waiting.remove(service);
            }
        }
    }

    private static void resume(DeferredCall call, Entry provider) {
        ServerMethodDefinition<?, ?> method = provider.raw().getMethod(call.method());
        if (method == null) {
            call.fail(Status.UNIMPLEMENTED.withDescription("Method not found: " + call.method()));
            return;
        }
        @SuppressWarnings("unchecked")
        ServerCallHandler<InputStream, InputStream> handler =
                (ServerCallHandler<InputStream, InputStream>) method.getServerCallHandler();
        call.start(handler);
    }
}
