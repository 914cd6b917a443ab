package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the cgroup hierarchies from /proc/self/mountinfo and picks the matching controller. */
public final class Cgroups {
    private Cgroups() {
    }

    /**
     * v2 when the unified hierarchy is the only one (cgroup2 mounted, no v1 controller hierarchies);
     * v1 when controllers are mounted per hierarchy (legacy or hybrid).
     */
    public static CgroupController detect() throws IOException {
        return detect(new Syscalls());
    }

    /** {@link #detect()} with the given syscall wrapper. */
    public static CgroupController detect(Syscalls sys) throws IOException {
        return detect(sys, MountInfo.current());
    }

    static CgroupController detect(Syscalls sys, List<MountInfo> mounts) throws IOException {
        Map<String, Path> v1 = v1Mounts(mounts);
        if (!v1.isEmpty()) {
            return new CgroupV1Controller(sys, v1);
        }
        return new CgroupV2Controller(sys, unifiedMount(mounts)
                .orElseThrow(() -> new IOException("no cgroup hierarchy mounted (neither cgroup nor cgroup2 in mountinfo)")));
    }

    /** Controller name to mount point for every v1 hierarchy. */
    public static Map<String, Path> v1Mounts(List<MountInfo> mounts) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (MountInfo m : mounts) {
            if (m.fsType().equals("cgroup")) {
                for (String opt : m.superOptions().split(",")) {
                    if (CgroupV1Controller.MANAGED.contains(opt)) {
                        out.putIfAbsent(opt, m.mountPoint());
                    }
                }
            }
        }
        return out;
    }

    /** The cgroup2 mount: /sys/fs/cgroup on v2 hosts, /sys/fs/cgroup/unified on hybrid ones. */
    public static Optional<Path> unifiedMount(List<MountInfo> mounts) {
        return mounts.stream().filter(m -> m.fsType().equals("cgroup2")).map(MountInfo::mountPoint).findFirst();
    }

    /** The unified hierarchy of this host, also on hybrid hosts, if mounted. */
    public static Optional<CgroupV2Controller> unified(Syscalls sys) throws IOException {
        return unifiedMount(MountInfo.current()).map(p -> new CgroupV2Controller(sys, p));
    }
}
