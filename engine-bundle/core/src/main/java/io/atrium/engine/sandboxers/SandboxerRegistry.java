package io.atrium.engine.sandboxers;

import io.atrium.host.spi.AdminCommand;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerDirectory;
import io.atrium.sandbox.api.SandboxerInfo;
import io.atrium.sandbox.api.TaskService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Tracks every registered {@link Sandboxer} by name, one {@link SandboxerGate} per name, and hands
 * out swap-proof views. Also answers {@code atrium sandboxers}.
 */
@Component(service = {SandboxerDirectory.class, AdminCommand.class}, immediate = true,
        property = AdminCommand.NAME_PROPERTY + "=sandboxers")
public final class SandboxerRegistry implements SandboxerDirectory, AdminCommand {

    /** Framework property: how long a call waits for a sandboxer being swapped (milliseconds). */
    public static final String SWAP_WAIT_PROPERTY = "atrium.sandboxer.swap.wait.ms";
    static final Duration DEFAULT_SWAP_WAIT = Duration.ofSeconds(30);
    private static final Logger LOG = Logger.getLogger(SandboxerRegistry.class.getName());

    private final ConcurrentMap<String, SandboxerGate> gates = new ConcurrentHashMap<>();
    private final Duration swapWait;
    private final BundleContext context;
    private final BundleListener uninstalls = this::bundleChanged;

    @Activate
    public SandboxerRegistry(BundleContext context) {
        this.context = context;
        this.swapWait = parseWait(context.getProperty(SWAP_WAIT_PROPERTY));
        context.addBundleListener(uninstalls);
    }

    static Duration parseWait(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SWAP_WAIT;
        }
        try {
            long ms = Long.parseLong(value.trim());
            if (ms < 0) {
                throw new NumberFormatException("negative");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SWAP_WAIT_PROPERTY + " must be a number of milliseconds, got '" + value + "'");
        }
    }

    @Deactivate
    void deactivate() {
        context.removeBundleListener(uninstalls);
    }

    @Reference(service = Sandboxer.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindSandboxer(ServiceReference<Sandboxer> ref, Sandboxer sandboxer) {
        String name = nameOf(ref);
        if (name == null) {
            LOG.warning("ignoring a Sandboxer service without a '" + Sandboxer.NAME_PROPERTY + "' property from bundle "
                    + ref.getBundle().getSymbolicName());
            return;
        }
        Bundle b = ref.getBundle();
        SandboxerGate gate = gate(name);
        gate.bind(new SandboxerGate.Provider(sandboxer, b.getBundleId(), b.getSymbolicName(), b.getVersion().toString()));
        String conflict = gate.view().conflict();
        if (!conflict.isEmpty()) {
            LOG.warning("sandboxer name '" + name + "' " + conflict);
        } else {
            LOG.info("sandboxer '" + name + "' served by " + b.getSymbolicName() + " " + b.getVersion());
        }
    }

    void unbindSandboxer(ServiceReference<Sandboxer> ref, Sandboxer sandboxer) {
        String name = nameOf(ref);
        if (name != null) {
            gate(name).unbind(sandboxer, swapWait);
        }
    }

    private static String nameOf(ServiceReference<?> ref) {
        Object n = ref.getProperty(Sandboxer.NAME_PROPERTY);
        return n instanceof String s && !s.isBlank() ? s : null;
    }

    private SandboxerGate gate(String name) {
        return gates.computeIfAbsent(name, SandboxerGate::new);
    }

    private void bundleChanged(BundleEvent event) {
        if (event.getType() == BundleEvent.UNINSTALLED) {
            gates.values().forEach(g -> g.markRemoved(event.getBundle().getBundleId()));
        }
    }

    @Override
    public Sandboxer sandboxer(String name) {
        return GatedInvocation.sandboxer(gate(name), swapWait);
    }

    @Override
    public TaskService tasks(String sandboxerName, String sandboxId) {
        return GatedInvocation.tasks(gate(sandboxerName), swapWait, sandboxId);
    }

    @Override
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        gates.values().forEach(g -> {
            if (g.view().current() != null) {
                names.add(g.name());
            }
        });
        return names;
    }

    /** {@code atrium sandboxers}: one row per sandboxer name ever seen. */
    @Override
    public Object execute(List<String> args, Consumer<String> progress) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("usage: atrium sandboxers");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        new TreeSet<>(gates.keySet()).forEach(name -> rows.add(row(gates.get(name).view())));
        return rows;
    }

    private Map<String, Object> row(SandboxerGate.View v) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", v.name());
        row.put("bundle", v.current() == null ? "" : v.current().bundleName());
        row.put("version", v.current() == null ? "" : v.current().bundleVersion());
        row.put("state", v.state());
        int pods = -1;
        SandboxerInfo info = null;
        if (v.current() != null) {
            try {
                pods = v.current().sandboxer().list().size();
                info = v.current().sandboxer().info();
            } catch (RuntimeException e) {
                row.put("error", String.valueOf(e.getMessage()));
            }
        }
        row.put("pods", pods);
        row.put("technology", info == null ? "" : info.technology());
        if (info != null && !info.details().isEmpty()) {
            row.put("details", info.details());
        }
        if (!v.conflict().isEmpty()) {
            row.put("conflict", v.conflict());
        }
        return row;
    }
}
