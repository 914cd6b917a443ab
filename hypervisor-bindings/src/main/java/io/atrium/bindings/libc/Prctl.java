package io.atrium.bindings.libc;

/** prctl(2) options used here, from {@code linux/prctl.h}. */
public final class Prctl {
    public static final int PR_SET_PDEATHSIG = 1;
    public static final int PR_GET_PDEATHSIG = 2;
    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final int PR_GET_CHILD_SUBREAPER = 37;

    private Prctl() {
    }
}
