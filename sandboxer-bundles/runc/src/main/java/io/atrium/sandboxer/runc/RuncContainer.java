package io.atrium.sandboxer.runc;

import io.atrium.sandboxer.ociruntime.OciContainer;
import io.atrium.sandboxer.ociruntime.OciExec;
import io.atrium.sandboxer.ociruntime.ProcessIo;
import io.atrium.sandboxer.runc.PersistedPod.PersistedContainer;
import io.atrium.sandboxer.runc.PersistedPod.PersistedExec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** One container of a pod: its runc bundle, its log, its init process and its execs. */
final class RuncContainer extends OciContainer<OciExec> {

    RuncContainer(String id, Path bundle, Path logPath, Instant createdAt) {
        super(id, bundle, logPath, createdAt);
    }

    PersistedContainer persisted() {
        List<PersistedExec> ex = new ArrayList<>();
        execs().values().forEach(e -> {
            if (e.pid() > 0 && e.exit() == null) {
                ex.add(new PersistedExec(e.execId(), e.pid()));
            }
        });
        int[] fds = io().heldFds();
        Path log = logPath();
        return new PersistedContainer(containerId(), bundle().toString(), log == null ? null : log.toString(), status(),
                pid(), rootfsMounted(), createdAt(), startedAt(), exit(), ex, fds[0], fds[1],
                fds[0] != 0 || fds[1] != 0 ? ProcessIo.fdOwner() : null, io().consoleInput(), io().stdinOnce());
    }
}
