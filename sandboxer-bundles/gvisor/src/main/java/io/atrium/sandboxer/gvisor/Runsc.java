package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandboxer.ociruntime.OciRuntime;
import io.atrium.sandboxer.ociruntime.StdioPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * runsc, the gVisor CLI: the shared OCI runtime wrapper with runsc's global flags
 * ({@code --platform}, {@code --network=sandbox} and the configured ones), plus what only runsc has —
 * {@code wait}, {@code kill --pid}, the platform list — and the start of a sandbox, which needs a
 * workaround (see {@link #startSandbox}).
 */
final class Runsc {
    /**
     * runsc 2022 refuses {@code --network=sandbox} ("cannot run with network enabled in root network
     * namespace") when {@code /proc/sys/net/core/rmem_default} exists in the pod's network namespace: it
     * takes that file for a sign of the host's namespace, but Linux 6.x has it in every network namespace.
     * So the one command that copies the namespace's interfaces into gVisor's netstack ({@code start} of the
     * sandbox) runs in a private mount namespace with {@code /proc/sys/net} hidden under an empty tmpfs. It
     * reads interfaces and routes over netlink, which the tmpfs does not touch.
     */
    private static final String HIDE_NET_SYSCTLS = """
            #!/bin/sh
            # Written by the Atrium gVisor sandboxer: runs runsc with /proc/sys/net hidden (see Runsc.java).
            exec /usr/bin/unshare --mount --propagation private /bin/sh -c \\
              'mount -t tmpfs -o size=4k,mode=0555 atrium-hide-net-sysctls /proc/sys/net && exec "$0" "$@"' \\
              "$ATRIUM_RUNSC" "$@"
            """;

    private final OciRuntime cli;
    private final OciRuntime sandboxStarter;
    private final ObjectMapper json = new ObjectMapper();

    Runsc(GvisorSettings settings) throws IOException {
        refuseOwnedFlags(settings.flags());
        List<String> global = new ArrayList<>(List.of("--platform=" + settings.platform(), "--network=sandbox"));
        global.addAll(settings.flags());
        this.cli = new OciRuntime(new OciRuntime.Settings("runsc", settings.runscBinary(), settings.runscRoot(), global,
                settings.runscTimeout()));
        Path wrapper = writeWrapper(settings.run().resolve("bin"), settings.runscBinary());
        this.sandboxStarter = new OciRuntime(new OciRuntime.Settings("runsc", wrapper, settings.runscRoot(), global,
                settings.runscTimeout()));
    }

    /** Flags the sandboxer sets itself; configuring them too would make runsc's behaviour depend on flag order. */
    private static void refuseOwnedFlags(List<String> flags) {
        for (String f : flags) {
            String name = f.replaceFirst("^--?", "").replaceFirst("=.*$", "");
            if (List.of("root", "platform", "network", "log", "log-format").contains(name)) {
                throw new IllegalArgumentException("gVisor flag " + f + " is set by the sandboxer itself: use the platform "
                        + "setting for --platform; --root, --network, --log and --log-format cannot be configured");
            }
        }
    }

    /** The wrapper script lives in our run directory; the runsc path reaches it through the environment, never quoted. */
    private static Path writeWrapper(Path dir, Path runsc) throws IOException {
        Files.createDirectories(dir);
        Path script = dir.resolve("runsc-hidden-net-sysctls");
        String text = HIDE_NET_SYSCTLS.replace("\"$ATRIUM_RUNSC\"", "'" + runsc.toString().replace("'", "'\\''") + "'");
        Path tmp = Files.createTempFile(dir, ".runsc-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, script, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return script;
    }

    OciRuntime cli() {
        return cli;
    }

    /** runsc's version, e.g. {@code 0.0~20221219.0}. */
    String version() {
        return cli.version();
    }

    /** The platforms this runsc was built with ({@code runsc help platforms}). */
    List<String> platforms() {
        return cli.run(List.of("help", "platforms"), "list platforms").lines().map(String::strip)
                .filter(l -> !l.isEmpty()).toList();
    }

    /** Creates the pod's sandbox: its root container, with no output of its own. */
    void createSandbox(String podId, Path bundle) {
        cli.create(podId, bundle, bundle.resolve("init.pid"), bundle.resolve("runsc.log"), StdioPaths.NULL);
    }

    /** Starts the sandbox's root container; this is where runsc moves the namespace's network into gVisor. */
    void startSandbox(String podId) {
        sandboxStarter.start(podId);
    }

    /** Sends {@code signal} to one process, by its pid in the sandbox's root PID namespace. */
    void killPid(String containerId, int sandboxPid, int signal) {
        cli.run(List.of("kill", "--pid", Integer.toString(sandboxPid), containerId, Integer.toString(signal)),
                "signal process " + sandboxPid + " of container " + containerId);
    }

    /**
     * Starts {@code runsc wait <id>}: it ends when the container does (or at once, if it already has) and
     * prints {@code {"id":...,"exitStatus":N}}. A waiting CLI instead of a shim: it holds nothing of the
     * container and may die at any time; the next instance simply starts another.
     */
    Process startWait(String containerId) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(cli.settings().binary().toString(), "--root",
                cli.settings().root().toString()));
        cmd.addAll(cli.settings().globalFlags());
        cmd.add("wait");
        cmd.add(containerId);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(StdioPaths.DEV_NULL.toFile())).start();
    }

    /** The exit status {@code runsc wait} printed: the code, or 128 + signal. */
    int parseWait(String output) {
        for (String line : output.lines().toList()) {
            try {
                JsonNode n = json.readTree(line);
                if (n != null && n.has("exitStatus")) {
                    return n.path("exitStatus").asInt();
                }
            } catch (IOException notJson) {
                // runsc's messages; the caller reports the whole output
            }
        }
        throw new SandboxException(Reason.INTERNAL, "runsc wait gave no exit status: " + output.strip());
    }
}
