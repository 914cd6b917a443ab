package io.atrium.bindings.libc;

/**
 * A pidfd (pidfd_open(2)): a handle on one process that cannot be confused with a later process
 * reusing the pid. Becomes readable for poll(2) when the process exits.
 */
public final class PidFd extends NativeFd {
    private final int pid;

    PidFd(int fd, int pid) {
        super(fd, "pidfd:" + pid);
        this.pid = pid;
    }

    /** The pid the descriptor was opened for. */
    public int pid() {
        return pid;
    }
}
