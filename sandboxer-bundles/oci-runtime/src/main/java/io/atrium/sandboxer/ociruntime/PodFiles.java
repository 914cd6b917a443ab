package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.SandboxSpec.DnsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The /etc files a pod's containers bind: hosts, resolv.conf and hostname, in the pod's run directory. */
public final class PodFiles {
    /** The hosts file of a pod with its own network namespace. */
    public static final String DEFAULT_HOSTS = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;

    private PodFiles() {
    }

    /** Writes the pod's hosts (the node's own with {@code nodeHosts}), resolv.conf and hostname files. */
    public static void write(OciPod<?> pod, boolean nodeHosts, DnsConfig dns, String hostname) throws IOException {
        String hosts = nodeHosts ? readOr(Path.of("/etc/hosts"), DEFAULT_HOSTS) : DEFAULT_HOSTS;
        Files.writeString(pod.hostsFile(), hosts, StandardCharsets.UTF_8);
        Files.writeString(pod.resolvConf(), resolvConf(dns), StandardCharsets.UTF_8);
        Files.writeString(pod.hostnameFile(), hostname + "\n", StandardCharsets.UTF_8);
    }

    /** resolv.conf from the pod's DNS config, or the node's own when the pod gives none. */
    public static String resolvConf(DnsConfig dns) {
        if (dns == null || dns.servers().isEmpty() && dns.searches().isEmpty() && dns.options().isEmpty()) {
            return readOr(Path.of("/etc/resolv.conf"), "");
        }
        StringBuilder sb = new StringBuilder();
        if (!dns.searches().isEmpty()) {
            sb.append("search ").append(String.join(" ", dns.searches())).append('\n');
        }
        dns.servers().forEach(s -> sb.append("nameserver ").append(s).append('\n'));
        if (!dns.options().isEmpty()) {
            sb.append("options ").append(String.join(" ", dns.options())).append('\n');
        }
        return sb.toString();
    }

    private static String readOr(Path p, String fallback) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return fallback;
        }
    }
}
