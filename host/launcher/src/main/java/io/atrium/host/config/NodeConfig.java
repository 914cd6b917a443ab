package io.atrium.host.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The node's configuration file ({@code conf/atrium.toml}); every field has a default so an
 * empty file (or none) gives a working node.
 */
public record NodeConfig(Node node, Cri cri, Sandboxers sandboxers, Bundles bundles, Map<String, String> properties) {

    public static final Path DEFAULT_ROOT = Path.of("/var/lib/atrium");
    public static final Path DEFAULT_STATE = Path.of("/run/atrium");

    public NodeConfig {
        node = node == null ? new Node(null, null, null, null, null) : node;
        cri = cri == null ? new Cri(null, null) : cri;
        sandboxers = sandboxers == null ? new Sandboxers(null, null, null) : sandboxers;
        bundles = bundles == null ? new Bundles(null, null, null) : bundles;
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(null, null, null, null, null);
    }

    /**
     * @param root persistent data (bundle cache, kept bundle versions, sandboxer state)
     * @param state runtime data (sockets)
     * @param bundles core bundles directory; default {@code <home>/bundles}
     * @param deploy hot-deploy directory watched for bundles and configurations; default {@code <home>/deploy}
     * @param shutdownTimeoutSeconds how long SIGTERM waits for the framework to stop
     */
    public record Node(Path root, Path state, Path bundles, Path deploy, Integer shutdownTimeoutSeconds) {
        public Node {
            root = root == null ? DEFAULT_ROOT : root;
            state = state == null ? DEFAULT_STATE : state;
            shutdownTimeoutSeconds = shutdownTimeoutSeconds == null ? 8 : shutdownTimeoutSeconds;
            if (shutdownTimeoutSeconds < 1 || shutdownTimeoutSeconds > 300) {
                throw new IllegalArgumentException("node.shutdown_timeout_seconds must be between 1 and 300, got "
                        + shutdownTimeoutSeconds);
            }
        }
    }

    /**
     * @param socket CRI socket; default {@code <state>/atrium.sock}
     * @param group group that owns the CRI socket, so a kubelet not running as root may connect;
     *     default: root's group
     */
    public record Cri(Path socket, String group) {
        public Cri {
            if (group != null && !group.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")) {
                throw new IllegalArgumentException("cri.group is not a valid group name: '" + group + "'");
            }
        }
    }

    /**
     * @param swapWaitMs how long a call waits for a sandboxer that is being swapped
     * @param defaultHandler sandboxer for pods with an empty runtime handler
     * @param handlers runtime handler → sandboxer name
     */
    public record Sandboxers(Long swapWaitMs, String defaultHandler, Map<String, String> handlers) {
        public Sandboxers {
            swapWaitMs = swapWaitMs == null ? 30_000L : swapWaitMs;
            if (swapWaitMs < 0 || swapWaitMs > 600_000) {
                throw new IllegalArgumentException("sandboxers.swap_wait_ms must be between 0 and 600000, got " + swapWaitMs);
            }
            defaultHandler = defaultHandler == null ? "runc" : defaultHandler;
            if (handlers == null) {
                handlers = new LinkedHashMap<>();
                handlers.put("runc", "runc");
            }
            handlers = Map.copyOf(handlers);
        }
    }

    /**
     * @param deployPollMs how often the deploy directory is scanned
     * @param trust what to do with bundles not signed by a trusted signer: strict, warn or off
     * @param trustedSigners directory of PEM certificates whose signatures the node accepts;
     *     default {@code <home>/conf/trusted-signers}
     */
    public record Bundles(Long deployPollMs, TrustMode trust, Path trustedSigners) {
        public Bundles {
            deployPollMs = deployPollMs == null ? 500L : deployPollMs;
            if (deployPollMs < 50 || deployPollMs > 60_000) {
                throw new IllegalArgumentException("bundles.deploy_poll_ms must be between 50 and 60000, got " + deployPollMs);
            }
            trust = trust == null ? TrustMode.STRICT : trust;
        }
    }

    /** How bundle signatures are enforced. */
    public enum TrustMode {
        /** Unsigned, tampered or untrusted bundles are refused with the reason. */
        STRICT,
        /** They are installed, logged and flagged in {@code atrium bundle list}. */
        WARN,
        /** Signatures are not checked. */
        OFF;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static TrustMode parse(String value) {
            for (TrustMode m : values()) {
                if (m.name().equalsIgnoreCase(value)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("bundles.trust must be one of strict, warn, off; got '" + value + "'");
        }
    }

    /** A copy with root and state replaced where given (command-line flags win over the file). */
    public NodeConfig withPaths(Path root, Path state) {
        Node n = new Node(root != null ? root : node.root(), state != null ? state : node.state(), node.bundles(),
                node.deploy(), node.shutdownTimeoutSeconds());
        return new NodeConfig(n, cri, sandboxers, bundles, properties);
    }

    public Path criSocket() {
        return cri.socket() != null ? cri.socket() : node.state().resolve("atrium.sock");
    }

    public Path adminSocket() {
        return node.state().resolve("admin.sock");
    }
}
