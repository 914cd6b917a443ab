package io.atrium.engine.cni.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A private network for one test: its own bridge and /24 in 10.213.0.0/16, config, plugin and
 * host-local store directories in a temp dir, and the namespaces the test creates. {@link #close}
 * deletes all of it (namespaces, bridge, files) whatever the test did.
 */
final class TestNetwork implements AutoCloseable {

    static final Path DEBIAN_PLUGINS = Path.of("/usr/lib/cni");

    final String tag = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
    final String bridge = "atrt" + tag.substring(0, 6);
    final String networkName = "atrium-test-" + tag;
    final String subnet = "10.213." + ThreadLocalRandom.current().nextInt(1, 250) + ".0/24";
    final Path dir;
    final Path confDir;
    final Path binDir;
    final Path ipamDir;
    final Path rootDir;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    TestNetwork() throws IOException {
        dir = Files.createTempDirectory("atrium-cni-test");
        confDir = Files.createDirectories(dir.resolve("net.d"));
        binDir = Files.createDirectories(dir.resolve("bin"));
        ipamDir = Files.createDirectories(dir.resolve("ipam"));
        rootDir = Files.createDirectories(dir.resolve("root"));
    }

    CniSettings settings(Duration timeout) {
        return new CniSettings(confDir, List.of(binDir, DEBIAN_PLUGINS), timeout, rootDir.resolve("cni"), Duration.ofHours(1));
    }

    CniSettings settings() {
        return settings(Duration.ofSeconds(30));
    }

    /** The bridge + host-local plugins of the test network, then {@code more} plugin objects, then loopback. */
    String conflist(String... more) {
        StringBuilder plugins = new StringBuilder();
        plugins.append("""
                {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false, "hairpinMode": true,
                 "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s"}]]}}"""
                .formatted(bridge, ipamDir, subnet));
        for (String plugin : more) {
            plugins.append(",\n").append(plugin);
        }
        plugins.append(",\n{\"type\": \"loopback\"}");
        return "{\"cniVersion\": \"1.0.0\", \"name\": \"" + networkName + "\", \"plugins\": [" + plugins + "]}";
    }

    static final String PORTMAP = "{\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}}";

    Path writeConfig(String name, String content) throws IOException {
        return Files.writeString(confDir.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** A shell-script plugin in the test's bin dir, searched before Debian's. */
    Path writePlugin(String type, String script) throws IOException {
        Path file = binDir.resolve(type);
        Files.writeString(file, "#!/bin/sh\n" + script, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** Creates a network namespace ({@code ip netns add}); returns its file. */
    Path netns(String suffix) throws IOException, InterruptedException {
        String name = "atrium-test-" + tag + "-" + suffix;
        Host.ok("ip", "netns", "add", name);
        namespaces.add(name);
        return Path.of("/run/netns", name);
    }

    void deleteNetns(Path netns) throws IOException, InterruptedException {
        String name = netns.getFileName().toString();
        Host.ok("ip", "netns", "del", name);
        namespaces.remove(name);
    }

    /** Runs a command inside a namespace. */
    Host.Output inNetns(Path netns, String... cmd) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns.getFileName().toString()));
        full.addAll(List.of(cmd));
        return Host.run(full.toArray(String[]::new));
    }

    /** Serves {@code body} as /index.html with busybox httpd on {@code port} inside the namespace. */
    void httpServer(Path netns, int port, String body) throws IOException {
        Path www = Files.createDirectories(dir.resolve("www-" + port + "-" + netns.getFileName()));
        Files.writeString(www.resolve("index.html"), body, StandardCharsets.UTF_8);
        processes.add(Host.start(List.of("ip", "netns", "exec", netns.getFileName().toString(),
                "busybox", "httpd", "-f", "-p", Integer.toString(port), "-h", www.toString())));
    }

    /** IP files host-local still holds for this network (it keeps only its lock and cursor otherwise). */
    List<String> allocatedIps() throws IOException {
        Path store = ipamDir.resolve(networkName);
        if (!Files.isDirectory(store)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(store)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> !n.equals("lock") && !n.startsWith("last_reserved_ip")).sorted().toList();
        }
    }

    /** Interfaces attached to the test bridge (the host ends of pod veths). */
    String bridgePorts() throws IOException, InterruptedException {
        Host.Output out = Host.run("ip", "-o", "link", "show", "master", bridge);
        return out.exit() == 0 ? out.text().trim() : "";
    }

    /** iptables rules that mention any of the given pod ids (portmap tags its rules with the container id). */
    static List<String> iptablesRulesFor(String podIdPrefix) throws IOException, InterruptedException {
        List<String> hits = new ArrayList<>();
        for (String table : List.of("nat", "filter", "mangle")) {
            Host.ok("iptables-save", "-t", table).lines().filter(l -> l.contains(podIdPrefix)).forEach(hits::add);
        }
        return hits;
    }

    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        for (String ns : List.copyOf(namespaces)) {
            Host.run("ip", "netns", "del", ns);
        }
        Host.run("ip", "link", "del", bridge);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
