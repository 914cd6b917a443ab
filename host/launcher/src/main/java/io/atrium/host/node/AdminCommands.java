package io.atrium.host.node;

import io.atrium.host.admin.AdminException;
import io.atrium.host.admin.AdminServer;
import io.atrium.host.spi.AdminCommand;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the admin socket answers: {@code status} and {@code bundle ...} here in the host; every
 * other command word goes to the bundle that registered an {@link AdminCommand} for it.
 */
final class AdminCommands implements AdminServer.Handler {

    private final Node node;

    AdminCommands(Node node) {
        this.node = node;
    }

    @Override
    public Object handle(String command, List<String> args, Consumer<String> progress) throws Exception {
        return switch (command) {
            case "status" -> status();
            case "bundle" -> bundle(args);
            default -> contributed(command, args, progress);
        };
    }

    private Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("version", Node.class.getPackage().getImplementationVersion() == null ? "dev"
                : Node.class.getPackage().getImplementationVersion());
        s.put("pid", ProcessHandle.current().pid());
        s.put("uptime_seconds", Duration.between(node.startedAt(), Instant.now()).toSeconds());
        s.put("root", node.config().node().root().toString());
        s.put("state", node.config().node().state().toString());
        s.put("cri_socket", node.config().criSocket().toString());
        s.put("deploy", node.deployDir().toString());
        Bundle[] all = node.framework().getBundleContext().getBundles();
        long active = java.util.Arrays.stream(all).filter(b -> b.getState() == Bundle.ACTIVE).count();
        s.put("bundles", all.length - 1);
        s.put("bundles_active", active - 1);
        s.put("heap_used_bytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        return s;
    }

    private Object bundle(List<String> args) {
        if (args.isEmpty()) {
            throw AdminException.invalid("usage: atrium bundle list|install JAR|update NAME JAR|rollback NAME|uninstall NAME|start NAME|stop NAME");
        }
        BundleManager m = node.bundles();
        String op = args.get(0);
        return switch (op) {
            case "list" -> m.list();
            case "install" -> m.install(path(args, 1));
            case "update" -> m.update(arg(args, 1, "NAME"), path(args, 2), args.contains("--allow-downgrade"),
                    args.contains("--dry-run"));
            case "rollback" -> m.rollback(arg(args, 1, "NAME"));
            case "uninstall" -> m.uninstall(arg(args, 1, "NAME"));
            case "start" -> m.start(arg(args, 1, "NAME"));
            case "stop" -> m.stop(arg(args, 1, "NAME"));
            default -> throw AdminException.invalid("unknown bundle operation '" + op + "'");
        };
    }

    private static String arg(List<String> args, int i, String what) {
        if (args.size() <= i || args.get(i).isBlank()) {
            throw AdminException.invalid("missing " + what);
        }
        return args.get(i);
    }

    private static Path path(List<String> args, int i) {
        return Path.of(arg(args, i, "JAR")).toAbsolutePath();
    }

    private Object contributed(String command, List<String> args, Consumer<String> progress) throws Exception {
        BundleContext ctx = node.framework().getBundleContext();
        Collection<ServiceReference<AdminCommand>> refs;
        try {
            refs = ctx.getServiceReferences(AdminCommand.class, "(" + AdminCommand.NAME_PROPERTY + "=" + command + ")");
        } catch (InvalidSyntaxException e) {
            throw AdminException.invalid("bad command word '" + command + "'");
        }
        if (refs.isEmpty()) {
            throw AdminException.notFound("unknown command '" + command + "': no installed bundle answers it");
        }
        ServiceReference<AdminCommand> ref = refs.iterator().next();
        AdminCommand cmd = ctx.getService(ref);
        if (cmd == null) {
            throw new AdminException("UNAVAILABLE", "the bundle answering '" + command + "' is going away; try again");
        }
        try {
            return cmd.execute(args, progress);
        } finally {
            ctx.ungetService(ref);
        }
    }
}
