package io.atrium.engine.runtime.validate;

import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PortMapping;
import io.atrium.sandbox.api.SandboxException;
import java.util.regex.Pattern;

/** Checks a PodSandboxConfig at the boundary, before anything is created; failures are INVALID_ARGUMENT. */
public final class PodConfigValidator {
    private PodConfigValidator() {}

    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
    private static final Pattern SYSCTL = Pattern.compile("[a-z0-9_]+([./][a-z0-9_-]+)+");
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9._-]+");

    public static void validate(PodSandboxConfig config) {
        if (!config.hasMetadata()) {
            throw SandboxException.invalid("pod sandbox config has no metadata");
        }
        var md = config.getMetadata();
        ConfigLimits.name("pod name", md.getName());
        ConfigLimits.name("pod namespace", md.getNamespace());
        if (md.getUid().isEmpty()) {
            throw SandboxException.invalid("pod uid is required");
        }
        if (md.getUid().length() > ConfigLimits.MAX_UID || !UID.matcher(md.getUid()).matches()) {
            throw SandboxException.invalid("pod uid '" + ConfigLimits.abbreviate(md.getUid()) + "' is not a valid uid");
        }
        String hostname = config.getHostname();
        if (!hostname.isEmpty() && (hostname.length() > 64 || !HOSTNAME.matcher(hostname).matches())) {
            throw SandboxException.invalid("hostname '" + ConfigLimits.abbreviate(hostname)
                    + "' is not a valid host name (at most 64 letters, digits, '.' and '-')");
        }
        if (!config.getLogDirectory().isEmpty()) {
            ConfigLimits.absolutePath("log_directory", config.getLogDirectory());
        }
        ConfigLimits.labels("pod labels", config.getLabelsMap());
        ConfigLimits.annotations("pod annotations", config.getAnnotationsMap());
        var dns = config.getDnsConfig();
        ConfigLimits.count("dns servers", dns.getServersCount(), 64);
        ConfigLimits.count("dns searches", dns.getSearchesCount(), 64);
        ConfigLimits.count("dns options", dns.getOptionsCount(), 64);
        ConfigLimits.count("port mappings", config.getPortMappingsCount(), 65535);
        for (PortMapping pm : config.getPortMappingsList()) {
            if (pm.getContainerPort() <= 0 || pm.getContainerPort() > 65535 || pm.getHostPort() < 0 || pm.getHostPort() > 65535) {
                throw SandboxException.invalid("port mapping " + pm.getHostPort() + "->" + pm.getContainerPort() + " is out of range");
            }
        }
        var sysctls = config.getLinux().getSysctlsMap();
        ConfigLimits.count("sysctls", sysctls.size(), 256);
        sysctls.forEach((k, v) -> {
            if (!SYSCTL.matcher(k).matches() || k.contains("..")) {
                throw SandboxException.invalid("sysctl name '" + ConfigLimits.abbreviate(k) + "' is not valid");
            }
            if (v.length() > 4096 || v.indexOf('\n') >= 0) {
                throw SandboxException.invalid("sysctl " + k + " has an invalid value");
            }
        });
        String cgroupParent = config.getLinux().getCgroupParent();
        if (cgroupParent.contains("..") || cgroupParent.length() > ConfigLimits.MAX_PATH) {
            throw SandboxException.invalid("cgroup_parent '" + ConfigLimits.abbreviate(cgroupParent) + "' is not valid");
        }
        if (config.getLinux().getSecurityContext().getNamespaceOptions().getNetwork() == io.atrium.cri.v1.NamespaceMode.TARGET) {
            throw new SandboxException(SandboxException.Reason.INVALID_ARGUMENT, "a pod's network namespace cannot target a container");
        }
    }
}
