package io.atrium.host.node;

import io.atrium.host.admin.AdminServer;
import io.atrium.host.config.NodeConfig;
import io.atrium.host.spi.ListeningSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import org.apache.felix.framework.Felix;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;

/**
 * One running node: the Felix framework with the core bundles, FileInstall on the deploy
 * directory, and the admin socket. Start with {@link #start}, stop with {@link #stop}.
 */
public final class Node implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Node.class.getName());
    /** Packages of the host's class path that bundles may import (the system bundle exports them). */
    static final String HOST_EXPORTS = "io.atrium.host.spi;version=\"1.1.0\"";
    /** The CRI socket's mode: owner and group (kubelet's) may connect, nobody else. */
    private void giveSocketToGroup(Path socket, String group) throws IOException {
        try {
            GroupPrincipal principal = socket.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(principal);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("cri.group: no such group '" + group + "' for the CRI socket " + socket);
        }
    }

    private static final Set<PosixFilePermission> CRI_SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");

    private final NodeConfig config;
    private final Path home;
    private final Instant startedAt = Instant.now();
    private Framework framework;
    private BundleManager bundles;
    private AdminServer admin;
    private LentSocket cri;

    public Node(NodeConfig config, Path home) {
        this.config = config;
        this.home = home;
    }

    public NodeConfig config() {
        return config;
    }

    public Path bundlesDir() {
        return config.node().bundles() != null ? config.node().bundles() : home.resolve("bundles");
    }

    public Path deployDir() {
        return config.node().deploy() != null ? config.node().deploy() : home.resolve("deploy");
    }

    public Path trustedSignersDir() {
        return config.bundles().trustedSigners() != null ? config.bundles().trustedSigners()
                : home.resolve("conf/trusted-signers");
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Framework framework() {
        return framework;
    }

    public BundleManager bundles() {
        return bundles;
    }

    public synchronized void start() throws IOException, BundleException {
        Path root = config.node().root();
        Path state = config.node().state();
        Files.createDirectories(root);
        Files.createDirectories(state);
        Files.createDirectories(deployDir());
        if (!Files.isDirectory(bundlesDir())) {
            throw new IOException("core bundles directory " + bundlesDir() + " does not exist");
        }
        // bound before any bundle starts and closed only after the framework stopped, so updating
        // the bundle serving it never makes a client's connect fail
        cri = LentSocket.bind(ListeningSocket.CRI, config.criSocket(), CRI_SOCKET_MODE);
        if (config.cri().group() != null) {
            giveSocketToGroup(config.criSocket(), config.cri().group());
        }
        framework = new Felix(frameworkProperties());
        framework.init();
        // Registered between init and start: on a restart the cached bundles start inside
        // framework.start(), and they must already find the lent socket and the trust hook.
        cri.register(framework.getBundleContext());
        BundleTrust trust = new BundleTrust(config.bundles().trust(), trustedSignersDir());
        bundles = new BundleManager(framework.getBundleContext(), root.resolve("bundle-store"), trust,
                root.resolve("sandboxers"));
        framework.getBundleContext().registerService(org.osgi.framework.hooks.resolver.ResolverHookFactory.class,
                new DeployTrustHook(bundles, trust.mode()), null);
        framework.start();
        bundles.installCore(bundlesDir());
        admin = new AdminServer(config.adminSocket(), new AdminCommands(this));
        admin.start();
        LOG.info("node started: root=" + root + " state=" + state + " cri=" + config.criSocket() + " admin="
                + config.adminSocket() + " deploy=" + deployDir());
    }

    Map<String, Object> frameworkProperties() {
        Map<String, Object> p = new HashMap<>();
        NodeConfig.Node n = config.node();
        p.put(Constants.FRAMEWORK_STORAGE, n.root().resolve("felix-cache").toString());
        p.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, HOST_EXPORTS);
        // The update gate resolves a candidate beside the running version of the same bundle.
        p.put(Constants.FRAMEWORK_BSNVERSION, Constants.FRAMEWORK_BSNVERSION_MULTIPLE);
        // JDK-internal packages some libraries probe for (Unsafe, jdk.net); boot delegation avoids
        // a wiring failure when they are present and is harmless when they are not.
        p.put(Constants.FRAMEWORK_BOOTDELEGATION, "sun.*,com.sun.*,jdk.*");
        p.put("felix.log.logger", new FelixLogBridge());
        p.put("felix.log.level", "2");
        p.put("atrium.root", n.root().toString());
        p.put("atrium.state", n.state().toString());
        p.put("atrium.cri.socket", config.criSocket().toString());
        p.put("atrium.sandboxer.swap.wait.ms", String.valueOf(config.sandboxers().swapWaitMs()));
        p.put("atrium.sandboxer.default", config.sandboxers().defaultHandler());
        p.put("atrium.sandboxer.handlers", String.join(",", config.sandboxers().handlers().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).sorted().toList()));
        p.put("felix.fileinstall.dir", deployDir().toString());
        p.put("felix.fileinstall.poll", String.valueOf(config.bundles().deployPollMs()));
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.log.level", "2");
        p.put("felix.fileinstall.tmpdir", n.root().resolve("fileinstall-tmp").toString());
        p.putAll(config.properties());
        return p;
    }

    /** Stops the framework, waiting at most the configured shutdown timeout. */
    @Override
    public synchronized void close() {
        Duration timeout = Duration.ofSeconds(config.node().shutdownTimeoutSeconds());
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (framework != null) {
            try {
                framework.stop();
                FrameworkEvent e = framework.waitForStop(timeout.toMillis());
                if (e.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                    LOG.warning("framework did not stop within " + timeout.toSeconds() + " s");
                }
            } catch (BundleException e) {
                LOG.warning("stopping the framework: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            framework = null;
            LOG.info("node stopped");
        }
        if (cri != null) {
            cri.close();
            cri = null;
        }
    }

    /** Blocks until the framework stops (for example through {@link #close} from a signal handler). */
    public void awaitStop() throws InterruptedException {
        Framework f = framework;
        if (f != null) {
            f.waitForStop(0);
        }
    }
}
