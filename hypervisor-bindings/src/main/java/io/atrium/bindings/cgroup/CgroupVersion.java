package io.atrium.bindings.cgroup;

/** Which cgroup hierarchy layout a controller drives. */
public enum CgroupVersion {
    /** One hierarchy per controller (cgroup v1, "legacy"/"hybrid"). */
    V1,
    /** The unified hierarchy (cgroup v2). */
    V2
}
