package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.NodePaths;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the microVM sandboxer needs to know: where it keeps state, which QEMU and guest it boots and
 * how big a VM is. Read from framework properties {@code atrium.vmm.*} (the {@code [properties]}
 * section of atrium.toml), so one file configures the node.
 *
 * @param state persistent directory: FORMAT plus one JSON record per VM (re-adoption state)
 * @param run runtime directory: one directory per VM with its QMP, agent and stdio sockets, console log and disk images
 * @param qemuBinary the qemu-system-x86_64 to run
 * @param guestDir directory holding the guest's {@code vmlinuz} and {@code initramfs.cpio.gz}
 * @param accel {@code auto} (KVM where a Linux guest boots, else TCG), {@code kvm} or {@code tcg}
 * @param bootTimeout how long a VM may take from QEMU start to the agent's first answer
 * @param callTimeout how long one ttrpc call to the agent may take (Wait is exempt)
 * @param vcpus vCPUs of a VM whose pod names no CPU limit, and added to one that does
 * @param memoryMib guest memory of a VM whose pod names no memory limit
 * @param overheadMib memory added to the pod's memory limit for the guest kernel and agent
 * @param debug ask the agent for verbose console output
 */
public record VmmSettings(Path state, Path run, Path qemuBinary, Path guestDir, String accel, Duration bootTimeout,
        Duration callTimeout, int vcpus, int memoryMib, int overheadMib, boolean debug) {

    public static final String NAME = "vmm";
    public static final String PREFIX = "atrium.vmm.";

    public VmmSettings {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(run, "run");
        state = state.toAbsolutePath().normalize();
        run = run.toAbsolutePath().normalize();
        accel = accel == null || accel.isBlank() ? "auto" : accel.strip().toLowerCase(Locale.ROOT);
        if (!accel.equals("auto") && !accel.equals("kvm") && !accel.equals("tcg")) {
            throw new IllegalArgumentException(PREFIX + "accel must be auto, kvm or tcg, not " + accel);
        }
        if (vcpus < 1 || memoryMib < 64 || overheadMib < 0) {
            throw new IllegalArgumentException(PREFIX + "vcpus must be >= 1, memory.mib >= 64, overhead.mib >= 0");
        }
    }

    /**
     * Settings from framework properties; {@code home} is the distribution directory whose
     * {@code guest/} holds the guest files by default.
     */
    public static VmmSettings from(NodePaths paths, Function<String, String> properties) {
        Function<String, String> p = k -> {
            String v = properties.apply(PREFIX + k);
            return v == null || v.isBlank() ? null : v.strip();
        };
        String home = properties.apply("atrium.home");
        Path defaultGuest = home == null ? Path.of("/usr/lib/atrium/guest") : Path.of(home, "guest");
        try {
            return new VmmSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME),
                    Path.of(or(p.apply("qemu"), "/usr/bin/qemu-system-x86_64")),
                    p.apply("guest.dir") == null ? defaultGuest : Path.of(p.apply("guest.dir")),
                    or(p.apply("accel"), "auto"),
                    Duration.ofSeconds(Long.parseLong(or(p.apply("boot.timeout.seconds"), "60"))),
                    Duration.ofSeconds(Long.parseLong(or(p.apply("call.timeout.seconds"), "30"))),
                    Integer.parseInt(or(p.apply("vcpus"), "1")),
                    Integer.parseInt(or(p.apply("memory.mib"), "256")),
                    Integer.parseInt(or(p.apply("overhead.mib"), "64")),
                    Boolean.parseBoolean(or(p.apply("debug"), "false")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a numeric " + PREFIX + "* property is not a number: " + e.getMessage(), e);
        }
    }

    /** Defaults everywhere but the paths (tests). */
    public static VmmSettings of(NodePaths paths, Path guestDir) {
        return new VmmSettings(paths.sandboxerState(NAME), paths.sandboxerRun(NAME), Path.of("/usr/bin/qemu-system-x86_64"),
                guestDir, "auto", Duration.ofSeconds(60), Duration.ofSeconds(30), 1, 256, 64, false);
    }

    public VmmSettings withBootTimeout(Duration timeout) {
        return new VmmSettings(state, run, qemuBinary, guestDir, accel, timeout, callTimeout, vcpus, memoryMib,
                overheadMib, debug);
    }

    public VmmSettings withQemu(Path binary) {
        return new VmmSettings(state, run, binary, guestDir, accel, bootTimeout, callTimeout, vcpus, memoryMib,
                overheadMib, debug);
    }

    public VmmSettings withGuestDir(Path dir) {
        return new VmmSettings(state, run, qemuBinary, dir, accel, bootTimeout, callTimeout, vcpus, memoryMib,
                overheadMib, debug);
    }

    Path kernel() {
        return guestDir.resolve("vmlinuz");
    }

    Path initrd() {
        return guestDir.resolve("initramfs.cpio.gz");
    }

    /** Runtime directory of one VM. Short, because unix socket paths are limited to 107 bytes. */
    Path vmDir(String sandboxId) {
        return run.resolve(sandboxId.length() > 16 ? sandboxId.substring(0, 16) : sandboxId);
    }

    private static String or(String v, String dflt) {
        return v == null ? dflt : v;
    }
}
