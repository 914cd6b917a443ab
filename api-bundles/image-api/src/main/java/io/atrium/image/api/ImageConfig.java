package io.atrium.image.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an image says about how to run it (the OCI image config's {@code config} object) and the
 * platform it was built for.
 *
 * @param user {@code user[:group]} as written in the image, numeric or by name; empty when unset
 * @param stopSignal signal name such as {@code SIGTERM}; empty when unset
 */
public record ImageConfig(
        String os, String architecture, String variant,
        String user, List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
        Set<String> exposedPorts, Set<String> volumes, Map<String, String> labels, String stopSignal) {

    public ImageConfig {
        os = nullToEmpty(os);
        architecture = nullToEmpty(architecture);
        variant = nullToEmpty(variant);
        user = nullToEmpty(user);
        env = env == null ? List.of() : List.copyOf(env);
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        workingDir = nullToEmpty(workingDir);
        exposedPorts = exposedPorts == null ? Set.of() : Set.copyOf(exposedPorts);
        volumes = volumes == null ? Set.of() : Set.copyOf(volumes);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        stopSignal = nullToEmpty(stopSignal);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
