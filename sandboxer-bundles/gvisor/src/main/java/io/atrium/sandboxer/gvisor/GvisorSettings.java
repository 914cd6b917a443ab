package io.atrium.sandboxer.gvisor;

import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandboxer.ociruntime.PodNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * What the gVisor sandboxer needs to know about the node and about runsc.
 *
 * @param state persistent directory: one JSON file per pod (re-adoption state) and FORMAT
 * @param run runtime directory: runsc's --root, pod bundles, FIFOs, the pause rootfs
 * @param platform gVisor platform passed as {@code --platform}
 * @param flags further runsc flags from the configuration, placed before every subcommand
 * @param defaultCgroupParent cgroup that pod cgroups go under when the pod names none
 */
public record GvisorSettings(Path state, Path run, Path runscBinary, String platform, List<String> flags,
        String defaultCgroupParent, Duration runscTimeout) {

    public static final String NAME = "gvisor";
    public static final String PLATFORM_PROPERTY = "atrium.gvisor.platform";
    public static final String FLAGS_PROPERTY = "atrium.gvisor.flags";
    public static final String DEFAULT_PLATFORM = "ptrace";

    public GvisorSettings {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(runscBinary, "runscBinary");
        state = state.toAbsolutePath().normalize();
        run = run.toAbsolutePath().normalize();
        platform = platform == null || platform.isBlank() ? DEFAULT_PLATFORM : platform.strip();
        flags = flags == null ? List.of() : List.copyOf(flags);
        defaultCgroupParent = PodNames.trimSlashes(defaultCgroupParent == null ? "atrium" : defaultCgroupParent);
        runscTimeout = runscTimeout == null ? Duration.ofSeconds(60) : runscTimeout;
    }

    /** Settings for a node with the given paths and defaults everywhere else. */
    public static GvisorSettings of(NodePaths paths) {
        return new GvisorSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME), Path.of("/usr/bin/runsc"),
                DEFAULT_PLATFORM, List.of(), "atrium", Duration.ofSeconds(60));
    }

    /** From the component configuration, with framework properties filling empty platform and flags. */
    static GvisorSettings from(NodePaths paths, GvisorConfig config, UnaryOperator<String> frameworkProperty) {
        String platform = !config.platform().isBlank() ? config.platform() : frameworkProperty.apply(PLATFORM_PROPERTY);
        String flags = !config.flags().isBlank() ? config.flags() : frameworkProperty.apply(FLAGS_PROPERTY);
        return new GvisorSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME), Path.of(config.runsc_binary()),
                platform, splitFlags(flags), config.cgroup_parent(), Duration.ofSeconds(config.runsc_timeout_seconds()));
    }

    static List<String> splitFlags(String flags) {
        if (flags == null || flags.isBlank()) {
            return List.of();
        }
        return Arrays.stream(flags.strip().split("\\s+")).toList();
    }

    /** runsc's state directory (its --root), never the system default /var/run/runsc. */
    Path runscRoot() {
        return run.resolve("runsc");
    }

    Path podsRunDir() {
        return run.resolve("pods");
    }

    /** The read-only root filesystem every pod's sandbox root process runs from. */
    Path pauseRootfs() {
        return run.resolve("pause-rootfs");
    }
}
