package io.atrium.engine.runtime.spec;

import io.atrium.sandbox.api.SandboxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Capability names and the runtime's default set, with CRI add/drop applied on top of it. */
public final class LinuxCapabilities {
    private LinuxCapabilities() {}

    /** Every capability Linux 6.x knows, in number order. */
    public static final List<String> ALL = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");

    /** What an unprivileged container keeps, the set container runtimes have long agreed on. */
    public static final List<String> RUNTIME_DEFAULT = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
            "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
            "CAP_AUDIT_WRITE");

    /** {@code chown}, {@code CHOWN} and {@code cap_chown} all mean {@code CAP_CHOWN}; "ALL" stays "ALL". */
    public static String normalise(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("ALL")) {
            return n;
        }
        String full = n.startsWith("CAP_") ? n : "CAP_" + n;
        if (!ALL.contains(full)) {
            throw SandboxException.invalid("unknown capability '" + name + "'");
        }
        return full;
    }

    /**
     * The default set with {@code add} then {@code drop} applied. "ALL" in add grants everything;
     * "ALL" in drop removes everything except what add names explicitly.
     */
    public static List<String> apply(List<String> add, List<String> drop) {
        List<String> adds = add.stream().map(LinuxCapabilities::normalise).toList();
        List<String> drops = drop.stream().map(LinuxCapabilities::normalise).toList();
        Set<String> caps = new LinkedHashSet<>(RUNTIME_DEFAULT);
        if (adds.contains("ALL")) {
            caps.addAll(ALL);
        }
        if (drops.contains("ALL")) {
            caps.clear();
        }
        adds.stream().filter(c -> !c.equals("ALL")).forEach(caps::add);
        if (!drops.contains("ALL")) {
            drops.forEach(c -> {
                if (!adds.contains(c)) {
                    caps.remove(c);
                }
            });
        }
        return new ArrayList<>(caps);
    }
}
