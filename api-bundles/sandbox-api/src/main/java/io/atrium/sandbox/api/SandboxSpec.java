package io.atrium.sandbox.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the engine asks a sandboxer to build for one pod (the CRI PodSandboxConfig, already
 * validated and with the network namespace prepared by the engine).
 *
 * @param id sandbox id chosen by the engine
 * @param name pod name; @param namespace pod namespace; @param uid pod uid; @param attempt pod attempt
 * @param hostname hostname inside the pod
 * @param logDirectory directory of the pod's container logs
 * @param netnsPath the pinned network namespace the engine prepared, or null for host network
 * @param namespaces which namespaces are shared with the node
 * @param cgroupParent cgroup parent the pod's cgroup goes under
 * @param resources pod-level resources (overhead and limits), may be {@link Resources#NONE}
 * @param dns resolver configuration for /etc/resolv.conf
 * @param portMappings host port mappings (for sandboxers that forward ports themselves)
 * @param sysctls namespaced sysctls of the pod
 * @param labels pod labels; @param annotations pod annotations
 * @param options sandboxer-specific options (from the handler's configuration)
 */
public record SandboxSpec(
        String id, String name, String namespace, String uid, int attempt, String hostname,
        Path logDirectory, Path netnsPath, NamespaceMode namespaces, String cgroupParent,
        Resources resources, DnsConfig dns, List<PortMapping> portMappings,
        Map<String, String> sysctls, Map<String, String> labels, Map<String, String> annotations,
        Map<String, String> options) {

    public SandboxSpec {
        if (id == null || id.isBlank()) {
            throw SandboxException.invalid("sandbox id is required");
        }
        portMappings = portMappings == null ? List.of() : List.copyOf(portMappings);
        sysctls = sysctls == null ? Map.of() : Map.copyOf(sysctls);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        options = options == null ? Map.of() : Map.copyOf(options);
        resources = resources == null ? Resources.NONE : resources;
        namespaces = namespaces == null ? NamespaceMode.POD_DEFAULT : namespaces;
        dns = dns == null ? DnsConfig.NONE : dns;
    }

    /** A minimal spec: only the ids, everything else default. */
    public static SandboxSpec of(String id, String name, String namespace) {
        return new SandboxSpec(id, name, namespace, "", 0, name, null, null, null, "", null, null,
                null, null, null, null, null);
    }

    /** Which namespaces a pod shares with the node (CRI NamespaceOption). */
    public record NamespaceMode(boolean hostNetwork, boolean hostPid, boolean hostIpc) {
        public static final NamespaceMode POD_DEFAULT = new NamespaceMode(false, false, false);
    }

    /** Resolver configuration (CRI DNSConfig). */
    public record DnsConfig(List<String> servers, List<String> searches, List<String> options) {
        public static final DnsConfig NONE = new DnsConfig(List.of(), List.of(), List.of());

        public DnsConfig {
            servers = List.copyOf(servers);
            searches = List.copyOf(searches);
            options = List.copyOf(options);
        }
    }

    /** One host port mapping (CRI PortMapping). */
    public record PortMapping(String protocol, int containerPort, int hostPort, String hostIp) {
    }
}
