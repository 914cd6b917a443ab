package io.atrium.bindings.libc;

/** Mount propagation types (mount_namespaces(7)); flags from {@code linux/mount.h}. */
public enum Propagation {
    PRIVATE(MountFlags.MS_PRIVATE),
    SLAVE(MountFlags.MS_SLAVE),
    SHARED(MountFlags.MS_SHARED);

    final long flag;

    Propagation(long flag) {
        this.flag = flag;
    }
}
