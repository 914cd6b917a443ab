package io.atrium.bindings.libc;

/**
 * What waitid(2) reported for one child: the SIGCHLD fields of {@code siginfo_t}.
 *
 * @param pid    the child
 * @param uid    its real user id
 * @param code   one of {@code Wait.CLD_*}
 * @param status the exit code for {@code CLD_EXITED}, else the signal number
 */
public record ChildState(int pid, int uid, int code, int status) {

    public boolean exited() {
        return code == Wait.CLD_EXITED;
    }

    public boolean killed() {
        return code == Wait.CLD_KILLED || code == Wait.CLD_DUMPED;
    }
}
