package io.atrium.engine.cni.service;

import io.atrium.sandbox.api.NodePaths;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The CNI client's settings once every source is resolved.
 *
 * @param confDir the config directory
 * @param binDirs plugin directories, searched in order
 * @param pluginTimeout longest one plugin call may take
 * @param stateDir where the attachment journal lives ({@code <atrium.root>/cni})
 * @param deleteRetry pause between retries of a failed DEL
 */
public record CniSettings(Path confDir, List<Path> binDirs, Duration pluginTimeout, Path stateDir, Duration deleteRetry) {

    public static final String CONF_DIR_PROPERTY = "atrium.cni.conf.dir";
    public static final String BIN_DIRS_PROPERTY = "atrium.cni.bin.dirs";
    public static final String TIMEOUT_PROPERTY = "atrium.cni.timeout.ms";
    public static final String DEL_RETRY_PROPERTY = "atrium.cni.del.retry.ms";

    public static final Path DEFAULT_CONF_DIR = Path.of("/etc/cni/net.d");
    /** /opt/cni/bin is where upstream releases go, /usr/lib/cni where Debian's package puts them. */
    public static final List<Path> DEFAULT_BIN_DIRS = List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"));
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_DEL_RETRY = Duration.ofSeconds(30);

    public CniSettings {
        binDirs = List.copyOf(binDirs);
        if (binDirs.isEmpty()) {
            throw new IllegalArgumentException("at least one CNI plugin directory is needed");
        }
        if (pluginTimeout.isNegative() || pluginTimeout.isZero() || deleteRetry.isNegative() || deleteRetry.isZero()) {
            throw new IllegalArgumentException("CNI timeouts must be positive");
        }
    }

    /** ConfigAdmin values first, then framework properties, then the defaults. */
    public static CniSettings resolve(CniConfiguration config, UnaryOperator<String> frameworkProperty) {
        String root = frameworkProperty.apply(NodePaths.ROOT_PROPERTY);
        if (root == null || root.isBlank()) {
            throw new IllegalStateException("framework property " + NodePaths.ROOT_PROPERTY + " is not set");
        }
        String confDir = first(config.conf_dir(), frameworkProperty.apply(CONF_DIR_PROPERTY));
        List<Path> binDirs = config.bin_dirs().length > 0
                ? Arrays.stream(config.bin_dirs()).filter(s -> !s.isBlank()).map(s -> Path.of(s.trim())).toList()
                : splitDirs(frameworkProperty.apply(BIN_DIRS_PROPERTY));
        return new CniSettings(
                confDir == null ? DEFAULT_CONF_DIR : Path.of(confDir),
                binDirs.isEmpty() ? DEFAULT_BIN_DIRS : binDirs,
                millis(config.timeout_ms(), frameworkProperty.apply(TIMEOUT_PROPERTY), TIMEOUT_PROPERTY, DEFAULT_TIMEOUT),
                Path.of(root).resolve("cni"),
                millis(config.del_retry_ms(), frameworkProperty.apply(DEL_RETRY_PROPERTY), DEL_RETRY_PROPERTY, DEFAULT_DEL_RETRY));
    }

    private static String first(String configured, String property) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        return property == null || property.isBlank() ? null : property.trim();
    }

    private static List<Path> splitDirs(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split("[,:]")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    private static Duration millis(long configured, String property, String name, Duration fallback) {
        if (configured > 0) {
            return Duration.ofMillis(configured);
        }
        if (property == null || property.isBlank()) {
            return fallback;
        }
        try {
            long ms = Long.parseLong(property.trim());
            if (ms <= 0) {
                throw new IllegalArgumentException(name + " must be a positive number of milliseconds, got '" + property + "'");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive number of milliseconds, got '" + property + "'", e);
        }
    }
}
