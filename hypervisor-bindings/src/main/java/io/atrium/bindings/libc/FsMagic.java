package io.atrium.bindings.libc;

/** Filesystem magic numbers reported in {@code statfs.f_type}, from {@code linux/magic.h}. */
public final class FsMagic {
    public static final long EXT4 = 0xEF53L;
    public static final long PROC = 0x9fa0L;
    public static final long TMPFS = 0x01021994L;
    public static final long OVERLAYFS = 0x794c7630L;
    public static final long NSFS = 0x6e736673L;
    public static final long CGROUP = 0x27e0ebL;
    public static final long CGROUP2 = 0x63677270L;
    public static final long SYSFS = 0x62656572L;

    private FsMagic() {
    }

    /** A short name for the magic numbers above, else the hex value. */
    public static String name(long magic) {
        if (magic == EXT4) {
            return "ext4";
        } else if (magic == PROC) {
            return "proc";
        } else if (magic == TMPFS) {
            return "tmpfs";
        } else if (magic == OVERLAYFS) {
            return "overlay";
        } else if (magic == NSFS) {
            return "nsfs";
        } else if (magic == CGROUP) {
            return "cgroup";
        } else if (magic == CGROUP2) {
            return "cgroup2";
        } else if (magic == SYSFS) {
            return "sysfs";
        }
        return "0x" + Long.toHexString(magic);
    }
}
