package io.atrium.engine.runtime.validate;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.KeyValue;
import io.atrium.cri.v1.Mount;
import io.atrium.sandbox.api.SandboxException;
import java.nio.file.Path;

/** Checks a ContainerConfig at the boundary; failures are INVALID_ARGUMENT. */
public final class ContainerConfigValidator {
    private ContainerConfigValidator() {}

    public static void validate(ContainerConfig config) {
        if (!config.hasMetadata()) {
            throw SandboxException.invalid("container config has no metadata");
        }
        ConfigLimits.name("container name", config.getMetadata().getName());
        if (!config.hasImage() || config.getImage().getImage().isBlank()) {
            throw SandboxException.invalid("container " + config.getMetadata().getName() + " names no image");
        }
        ConfigLimits.count("command", config.getCommandCount(), ConfigLimits.MAX_LIST);
        ConfigLimits.count("args", config.getArgsCount(), ConfigLimits.MAX_LIST);
        ConfigLimits.count("envs", config.getEnvsCount(), ConfigLimits.MAX_LIST);
        ConfigLimits.count("mounts", config.getMountsCount(), 1024);
        long argBytes = 0;
        for (String s : config.getCommandList()) {
            argBytes += s.length();
            noNul("command", s);
        }
        for (String s : config.getArgsList()) {
            argBytes += s.length();
            noNul("args", s);
        }
        for (KeyValue kv : config.getEnvsList()) {
            if (kv.getKey().isEmpty() || kv.getKey().contains("=")) {
                throw SandboxException.invalid("environment variable name '" + ConfigLimits.abbreviate(kv.getKey())
                        + "' is empty or holds '='");
            }
            noNul("environment variable " + kv.getKey(), kv.getKey() + kv.getValue().toStringUtf8());
            argBytes += kv.getKey().length() + kv.getValue().size();
        }
        if (argBytes > ConfigLimits.MAX_ARG_BYTES) {
            throw SandboxException.invalid("command, args and environment total " + argBytes + " bytes, more than "
                    + ConfigLimits.MAX_ARG_BYTES);
        }
        if (!config.getWorkingDir().isEmpty()) {
            ConfigLimits.absolutePath("working_dir", config.getWorkingDir());
        }
        for (Mount m : config.getMountsList()) {
            ConfigLimits.absolutePath("mount container_path", m.getContainerPath());
            ConfigLimits.absolutePath("mount host_path", m.getHostPath());
        }
        String log = config.getLogPath();
        if (!log.isEmpty()) {
            Path p = Path.of(log).normalize();
            if (log.startsWith("/") || p.startsWith("..") || log.length() > ConfigLimits.MAX_PATH || log.indexOf('\0') >= 0) {
                throw SandboxException.invalid("log_path '" + ConfigLimits.abbreviate(log)
                        + "' must stay inside the pod's log directory");
            }
        }
        ConfigLimits.labels("container labels", config.getLabelsMap());
        ConfigLimits.annotations("container annotations", config.getAnnotationsMap());
        var r = config.getLinux().getResources();
        if (r.getCpuShares() < 0 || r.getCpuPeriod() < 0 || r.getMemoryLimitInBytes() < 0) {
            throw SandboxException.invalid("cpu shares, cpu period and memory limit must not be negative");
        }
        if (r.getOomScoreAdj() < -1000 || r.getOomScoreAdj() > 1000) {
            throw SandboxException.invalid("oom_score_adj " + r.getOomScoreAdj() + " is outside [-1000, 1000]");
        }
    }

    private static void noNul(String what, String s) {
        if (s.indexOf('\0') >= 0) {
            throw SandboxException.invalid(what + " holds a NUL byte");
        }
    }
}
