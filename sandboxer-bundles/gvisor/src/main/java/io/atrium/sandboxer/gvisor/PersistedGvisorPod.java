package io.atrium.sandboxer.gvisor;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskStatus;
import java.time.Instant;
import java.util.List;

/**
 * What one gVisor pod needs to be re-adopted by a new sandboxer instance (bundle update) or node JVM
 * (restart), kept as {@code <state>/pods/<id>.json}. The sandbox itself is runsc's container with the
 * pod's id; runsc's own state under {@code --root} says whether it still runs.
 *
 * @param netnsPath the network namespace the engine prepared; runsc's netstack took its interfaces over
 * @param cgroup the pod cgroup the sandbox (with every container's processes) runs in
 * @param runDir the pod's runtime directory: hosts, resolv.conf, hostname, the sandbox and container bundles
 */
record PersistedGvisorPod(String id, String name, String namespace, String hostname, Instant createdAt,
        SandboxState state, Instant stoppedAt, String netnsPath, String cgroup, String runDir,
        List<PersistedContainer> containers) {

    PersistedGvisorPod {
        containers = containers == null ? List.of() : List.copyOf(containers);
    }

    /**
     * One app container inside the pod's sandbox.
     *
     * @param rootfsMounted whether {@code <bundle>/rootfs} was mounted by this sandboxer
     * @param exit how it ended, null while it may still run
     * @param execs execs that may still run: the host pid of runsc's exec waiter (our child) and the
     *     process's pid in the sandbox's root PID namespace (what {@code runsc kill --pid} takes)
     */
    record PersistedContainer(String id, String bundle, String logPath, TaskStatus status, boolean rootfsMounted,
            Instant createdAt, Instant startedAt, ExitStatus exit, List<PersistedExec> execs) {
        PersistedContainer {
            execs = execs == null ? List.of() : List.copyOf(execs);
        }
    }

    record PersistedExec(String execId, int waiterPid, int sandboxPid) {
    }
}
