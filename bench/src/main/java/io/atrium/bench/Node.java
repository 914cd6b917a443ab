package io.atrium.bench;

import java.nio.file.Path;

/** One node runtime under test, started with its own root, state and socket. */
interface Node extends AutoCloseable {
    String name();

    /** Version string for the report. */
    String version();

    Path criSocket();

    /** Where the CRI may write pod logs. */
    Path logDir();

    /** Memory of every management process (daemon, shims, pause), not of the workload. */
    ProcMem.Mem managementMemory();

    /** The management processes themselves, for the report's process count. */
    long daemonPid();

    @Override
    void close() throws Exception;
}
