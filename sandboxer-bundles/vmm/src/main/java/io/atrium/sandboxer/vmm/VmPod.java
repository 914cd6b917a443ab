package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandboxer.vmm.agent.AgentClient;
import io.atrium.sandboxer.vmm.qmp.QmpClient;
import io.atrium.sandboxer.vmm.stdio.StdioMux;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * One pod VM at run time: its persisted record plus the live connections to its QEMU (process, QMP),
 * its agent (ttrpc) and its stdio multiplex.
 *
 * <pre>
 *   CREATED --start: QEMU boots, agent answers--> READY --stop / QEMU exits--> STOPPED --shutdown--> (gone)
 *      \--start fails (no kernel, timeout): QEMU killed--> NOT_READY --shutdown--> (gone)
 * </pre>
 */
final class VmPod {
    private final VmStore store;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private volatile PersistedVm record;
    private volatile QemuProcess qemu;
    private volatile QmpClient qmp;
    private volatile VmDisks disks;
    private volatile AgentClient agent;
    private volatile StdioMux mux;
    private volatile boolean detaching;

    VmPod(PersistedVm record, VmStore store) {
        this.record = record;
        this.store = store;
    }

    PersistedVm record() {
        return record;
    }

    String id() {
        return record.id();
    }

    VmFiles files() {
        return new VmFiles(Path.of(record.vmDir()));
    }

    SandboxState state() {
        return record.state();
    }

    /** Applies {@code change} to the record and persists it. */
    synchronized PersistedVm update(UnaryOperator<PersistedVm> change) {
        PersistedVm next = change.apply(record);
        try {
            store.save(next);
        } catch (IOException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL, "cannot persist VM " + next.id() + ": "
                    + e.getMessage(), e);
        }
        record = next;
        return next;
    }

    void connected(QemuProcess q, QmpClient m, AgentClient a, StdioMux s) {
        this.qemu = q;
        this.qmp = m;
        this.disks = m == null ? null : new VmDisks(m);
        this.agent = a;
        this.mux = s;
    }

    QemuProcess qemu() {
        return qemu;
    }

    QmpClient qmp() {
        return qmp;
    }

    VmDisks disks() {
        return disks;
    }

    /** The agent of a ready VM, or FAILED_PRECONDITION naming the state. */
    AgentClient agent() {
        AgentClient a = agent;
        if (a == null || record.state() != SandboxState.READY) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION, "pod VM " + id() + " is "
                    + record.state() + "; its containers cannot be managed");
        }
        return a;
    }

    StdioMux mux() {
        return mux;
    }

    CompletableFuture<ExitStatus> exitFuture() {
        return exit;
    }

    /** Closes every connection but leaves QEMU running (bundle update; the next instance re-adopts it). */
    void detach() {
        detaching = true;
        closeConnections();
    }

    boolean detaching() {
        return detaching;
    }

    void closeConnections() {
        if (agent != null) {
            agent.close();
        }
        if (mux != null) {
            mux.close();
        }
        if (qmp != null) {
            qmp.close();
        }
    }

    void stopped(Instant at) {
        update(r -> r.withState(SandboxState.STOPPED, at));
        exit.complete(ExitStatus.of(0, at));
    }
}
