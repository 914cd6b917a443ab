package io.atrium.sandboxer.gvisor;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.bindings.process.ProcessReaper;
import io.atrium.sandboxer.ociruntime.CgroupTree;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.RootfsMounts;
import io.atrium.sandboxer.ociruntime.StateStore;
import java.time.Clock;
import java.util.concurrent.ExecutorService;

/** The services one gVisor sandboxer instance shares among its pods. */
record GvisorEnvironment(GvisorSettings settings, Runsc runsc, OciLauncher launcher, CgroupTree cgroups,
        RootfsMounts rootfs, OciSpecAdjuster specs, StateStore<PersistedGvisorPod> store, ProcessReaper reaper,
        RunscChildren children, ExecutorService exits, Clock clock, ObjectMapper json) {
    static final int STATE_FORMAT = 1;
}
