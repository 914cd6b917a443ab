package io.atrium.engine.cri;

import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.util.MutableHandlerRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The gRPC services currently on the socket. Several OSGi services may implement the same gRPC
 * service while a bundle is swapped; the highest ranking (then the oldest) one is served and the
 * next one takes over when it leaves, without the server restarting.
 */
final class CriServices {

    /** One bound OSGi service and its gRPC definition (kept: the registry removes by identity). */
    record Entry(BindableService service, ServerServiceDefinition definition, int ranking, long serviceId) {
        String name() {
            return definition.getServiceDescriptor().getName();
        }
    }

    private static final Comparator<Entry> PREFERENCE = Comparator.comparingInt(Entry::ranking)
            .thenComparing(Comparator.comparingLong(Entry::serviceId).reversed());

    private final MutableHandlerRegistry registry = new MutableHandlerRegistry();
    private final List<Entry> bound = new ArrayList<>();

    MutableHandlerRegistry registry() {
        return registry;
    }

    synchronized void add(BindableService service, int ranking, long serviceId) {
        Entry entry = new Entry(service, service.bindService(), ranking, serviceId);
        bound.add(entry);
        publish(entry.name());
    }

    synchronized void remove(BindableService service) {
        Optional<Entry> gone = bound.stream().filter(e -> e.service() == service).findFirst();
        gone.ifPresent(e -> {
            bound.remove(e);
            publish(e.name());
        });
    }

    /** gRPC service names being served, e.g. {@code runtime.v1.RuntimeService}. */
    synchronized List<String> served() {
        return registry.getServices().stream().map(d -> d.getServiceDescriptor().getName()).sorted().toList();
    }

    private void publish(String name) {
        Optional<Entry> best = bound.stream().filter(e -> e.name().equals(name)).max(PREFERENCE);
        if (best.isPresent()) {
            registry.addService(best.get().definition()); // replaces whatever served this name
        } else {
            registry.getServices().stream()
                    .filter(d -> d.getServiceDescriptor().getName().equals(name))
                    .findFirst()
                    .ifPresent(registry::removeService);
        }
    }
}
