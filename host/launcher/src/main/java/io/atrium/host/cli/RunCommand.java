package io.atrium.host.cli;

import io.atrium.host.config.ConfigLoader;
import io.atrium.host.config.NodeConfig;
import io.atrium.host.node.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code atrium run}: starts the node in the foreground until SIGTERM/SIGINT. */
@Command(name = "run", description = "Start the node in the foreground.")
final class RunCommand implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger(RunCommand.class.getName());

    @picocli.CommandLine.ParentCommand
    AtriumCommand parent;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (default: <home>/conf/atrium.toml if present).")
    Path config;

    @Option(names = "--root", paramLabel = "DIR", description = "Persistent data directory (default /var/lib/atrium).")
    Path root;

    @Option(names = "--state", paramLabel = "DIR", description = "Runtime state directory (default /run/atrium).")
    Path state;

    @Override
    public Integer call() throws Exception {
        LogSetup.install();
        Path home = Path.of(System.getProperty("atrium.home", ".")).toAbsolutePath().normalize();
        Path file = config != null ? config : home.resolve("conf/atrium.toml");
        NodeConfig cfg = new ConfigLoader().load(file, config != null).withPaths(abs(root), abs(state != null ? state : parent.state));
        if (Files.exists(file)) {
            LOG.info("configuration from " + file);
        }
        Node node = new Node(cfg, home);
        Thread hook = new Thread(() -> stop(node, cfg), "atrium-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            node.start();
        } catch (Exception e) {
            node.close();
            throw e;
        }
        node.awaitStop();
        return 0;
    }

    private static Path abs(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }

    /** Bounded: if the framework hangs, the JVM is halted after the timeout plus a margin. */
    private static void stop(Node node, NodeConfig cfg) {
        long limitMs = cfg.node().shutdownTimeoutSeconds() * 1000L + 1500;
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(limitMs);
                System.err.println("atrium: shutdown took longer than " + limitMs + " ms; halting");
                Runtime.getRuntime().halt(1);
            } catch (InterruptedException ignored) {
                // stopped in time
            }
        }, "atrium-shutdown-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        node.close();
        watchdog.interrupt();
    }
}
