package io.atrium.bindings.cgroup;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Creates, configures, observes and removes cgroups. Paths are relative to the hierarchy root and
 * made of {@code [A-Za-z0-9_.:-]} segments separated by '/'; anything else fails with EINVAL.
 * Obtain one from {@link Cgroups#detect()}.
 */
public interface CgroupController {

    CgroupVersion version();

    /** Creates {@code cgroup} and any missing parents; on failure removes what this call created. */
    void create(String cgroup) throws IOException;

    boolean exists(String cgroup) throws IOException;

    /** Removes an empty cgroup; fails with {@link CgroupBusyException} while processes remain. */
    void delete(String cgroup) throws IOException;

    /** Like {@link #delete(String)} but waits up to {@code timeout} for the processes to leave. */
    void delete(String cgroup, Duration timeout) throws IOException;

    /** Moves {@code pid} (with all its threads) into the cgroup. */
    void addProcess(String cgroup, int pid) throws IOException;

    /** The processes in the cgroup itself (not its children). */
    List<Integer> processes(String cgroup) throws IOException;

    /** Applies the non-null settings. */
    void apply(String cgroup, CgroupResources resources) throws IOException;

    CgroupStats stats(String cgroup) throws IOException;

    /** Freezes every process in the cgroup and returns once they are frozen. */
    void freeze(String cgroup) throws IOException;

    void thaw(String cgroup) throws IOException;

    boolean isFrozen(String cgroup) throws IOException;

    /** SIGKILLs every process in the cgroup and its children and waits until it is empty. */
    void killAll(String cgroup) throws IOException;

    /** Huge page sizes that can be limited here, as the kernel names them (e.g. {@code 2MB}); may be empty. */
    Set<String> hugepageSizes() throws IOException;
}
