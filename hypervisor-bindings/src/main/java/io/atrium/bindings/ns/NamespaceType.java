package io.atrium.bindings.ns;

import io.atrium.bindings.libc.Sched;

/**
 * The namespaces a pod pins. Names are those under {@code /proc/<pid>/ns/}; flags from
 * {@code linux/sched.h}.
 */
public enum NamespaceType {
    NET("net", Sched.CLONE_NEWNET, "--net"),
    IPC("ipc", Sched.CLONE_NEWIPC, "--ipc"),
    UTS("uts", Sched.CLONE_NEWUTS, "--uts");

    private final String procName;
    private final int cloneFlag;
    private final String unshareOption;

    NamespaceType(String procName, int cloneFlag, String unshareOption) {
        this.procName = procName;
        this.cloneFlag = cloneFlag;
        this.unshareOption = unshareOption;
    }

    /** The entry name under {@code /proc/<pid>/ns}. */
    public String procName() {
        return procName;
    }

    /** The CLONE_NEW* flag. */
    public int cloneFlag() {
        return cloneFlag;
    }

    /** The util-linux unshare(1) option that creates and pins this kind. */
    String unshareOption() {
        return unshareOption;
    }
}
