package io.atrium.sandboxer.runc;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one pod needs to be re-adopted by a new sandboxer instance (bundle update) or a new node JVM
 * (restart): written as {@code <state>/pods/<id>.json} by the {@link io.atrium.sandboxer.ociruntime.StateStore}.
 *
 * @param netnsPath the network namespace the engine pinned, null for host network
 * @param cgroup the pod cgroup, relative to each hierarchy root; containers go below it
 * @param ownsCgroup whether this sandboxer created the pod cgroup (and so removes it)
 * @param runDir the pod's runtime directory: hosts, resolv.conf, hostname, shm, container bundles
 */
record PersistedPod(String id, String name, String namespace, String hostname, Instant createdAt, SandboxState state,
        Instant stoppedAt, String netnsPath, boolean hostNetwork, boolean hostIpc, String cgroup, boolean ownsCgroup,
        String runDir, Map<String, String> sysctls, List<PersistedContainer> containers) {

    PersistedPod {
        sysctls = sysctls == null ? Map.of() : Map.copyOf(sysctls);
        containers = containers == null ? List.of() : List.copyOf(containers);
    }

    /**
     * One container.
     *
     * @param pid the container's init on the host, 0 before create finished
     * @param rootfsMounted whether {@code <bundle>/rootfs} was mounted by this sandboxer
     * @param exit how it ended, null while it may still run
     * @param execs execs still known (their processes are the JVM's children and must be reaped)
     * @param consoleFd the terminal master this JVM holds for it (0: none), handed from instance to instance
     * @param stdinFd the write end of its stdin FIFO this JVM holds (0: none)
     * @param fdOwner the JVM holding those descriptors; another JVM must not use the numbers
     * @param consoleInput whether its terminal takes client input (it was created with stdin)
     * @param stdinOnce CRI stdin_once: the first attached client's detach closes stdin
     */
    record PersistedContainer(String id, String bundle, String logPath, TaskStatus status, int pid,
            boolean rootfsMounted, Instant createdAt, Instant startedAt, ExitStatus exit, List<PersistedExec> execs,
            int consoleFd, int stdinFd, String fdOwner, boolean consoleInput, boolean stdinOnce) {
        PersistedContainer {
            execs = execs == null ? List.of() : List.copyOf(execs);
        }
    }

    /** An exec'd process; only its pid survives a swap (its streams belonged to the old instance). */
    record PersistedExec(String execId, int pid) {
    }
}
