package io.atrium.bindings.libc;

/**
 * waitid(2) id types and options, from {@code linux/wait.h}; SIGCHLD si_code values and the
 * {@code siginfo_t} layout, from {@code asm-generic/siginfo.h} (x86_64, 128 bytes).
 */
public final class Wait {
    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    public static final int P_PGID = 2;
    public static final int P_PIDFD = 3;

    public static final int WNOHANG = 0x00000001;
    public static final int WSTOPPED = 0x00000002;
    public static final int WEXITED = 0x00000004;
    public static final int WCONTINUED = 0x00000008;
    public static final int WNOWAIT = 0x01000000;

    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
    public static final int CLD_TRAPPED = 4;
    public static final int CLD_STOPPED = 5;
    public static final int CLD_CONTINUED = 6;

    static final int SIGINFO_SIZE = 128;
    static final int SI_SIGNO = 0;
    static final int SI_CODE = 8;
    static final int SI_PID = 16;
    static final int SI_UID = 20;
    static final int SI_STATUS = 24;

    private Wait() {
    }
}
