package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Signals;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Killing every process of a cgroup, the same way for v1 and v2 (where cgroup.kill is missing). */
final class CgroupKill {

    /** Lists the pids of a cgroup and its descendants. */
    interface Processes {
        List<Integer> of(String cgroup) throws IOException;
    }

    private CgroupKill() {
    }

    /** SIGKILL to every process while the cgroup is frozen, so none can fork a new one meanwhile. */
    static void killFrozen(CgroupController controller, Syscalls sys, Processes processes, String cgroup) throws IOException {
        controller.freeze(cgroup);
        try {
            for (int pid : processes.of(cgroup)) {
                try {
                    sys.kill(pid, Signals.SIGKILL);
                } catch (ErrnoException e) {
                    if (!e.is(Errno.ESRCH)) {
                        throw e;
                    }
                }
            }
        } finally {
            controller.thaw(cgroup); // SIGKILL is delivered on thaw
        }
    }

    /** Waits (at most 10 s) until the cgroup holds no process. */
    static void awaitEmpty(Processes processes, String cgroup) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Integer> left;
        while (!(left = processes.of(cgroup)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new CgroupBusyException(cgroup, left);
            }
            CgroupFs.sleep(10);
        }
    }
}
