package io.atrium.bindings.internal;

/** x86_64 syscall numbers for calls glibc 2.36 does not wrap; from {@code asm/unistd_64.h}. */
public final class SyscallNumbers {
    public static final long PIVOT_ROOT = 155;
    public static final long PIDFD_SEND_SIGNAL = 424;
    public static final long PIDFD_OPEN = 434;

    private SyscallNumbers() {
    }
}
