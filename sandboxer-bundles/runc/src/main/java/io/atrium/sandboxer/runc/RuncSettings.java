package io.atrium.sandboxer.runc;

import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandboxer.ociruntime.PodNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What the runc sandboxer needs to know about the node: where it keeps state, which runc it runs and
 * where pod cgroups go.
 *
 * @param state persistent directory holding one JSON file per pod (re-adoption state)
 * @param run runtime directory: runc's --root, pod files, FIFOs, container bundles, namespace pins
 * @param defaultCgroupParent cgroup that pod cgroups go under when the pod names none
 */
public record RuncSettings(Path state, Path run, Path runcBinary, String defaultCgroupParent, long shmSizeBytes,
        Duration runcTimeout) {

    public static final String NAME = "runc";

    public RuncSettings {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(runcBinary, "runcBinary");
        state = state.toAbsolutePath().normalize();
        run = run.toAbsolutePath().normalize();
        defaultCgroupParent = PodNames.trimSlashes(defaultCgroupParent == null ? "atrium" : defaultCgroupParent);
    }

    /** Settings for a node with the given paths and defaults everywhere else. */
    public static RuncSettings of(NodePaths paths) {
        return new RuncSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME), Path.of("/usr/sbin/runc"),
                "atrium", 64L * 1024 * 1024, Duration.ofSeconds(60));
    }

    static RuncSettings from(NodePaths paths, RuncConfig config) {
        return new RuncSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME), Path.of(config.runc_binary()),
                config.cgroup_parent(), config.shm_size_bytes(), Duration.ofSeconds(config.runc_timeout_seconds()));
    }

    /** runc's state directory (its --root), never the system default /run/runc. */
    Path runcRoot() {
        return run.resolve("runc");
    }

    Path podsRunDir() {
        return run.resolve("pods");
    }

    /** Console sockets live here for a moment while runc hands over a terminal; short, for sun_path's 108 bytes. */
    Path consoleDir() {
        return run.resolve("tty");
    }

    Path namespacePins() {
        return run.resolve("ns");
    }
}
