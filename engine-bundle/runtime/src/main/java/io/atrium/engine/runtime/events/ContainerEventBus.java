package io.atrium.engine.runtime.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Fans container events out to every listener (one per GetContainerEvents stream). */
public final class ContainerEventBus {
    private static final Logger LOG = Logger.getLogger(ContainerEventBus.class.getName());
    private final List<Consumer<ContainerEvent>> listeners = new CopyOnWriteArrayList<>();

    public AutoCloseable listen(Consumer<ContainerEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public void publish(ContainerEvent event) {
        for (Consumer<ContainerEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "dropping an event listener that failed", e);
                listeners.remove(l);
            }
        }
    }
}
