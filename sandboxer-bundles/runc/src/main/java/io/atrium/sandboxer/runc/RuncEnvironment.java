package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.sandboxer.ociruntime.CgroupTree;
import io.atrium.sandboxer.ociruntime.OciLauncher;
import io.atrium.sandboxer.ociruntime.OciRuntime;
import io.atrium.sandboxer.ociruntime.OciSpecAdjuster;
import io.atrium.sandboxer.ociruntime.ProcessStreams;
import io.atrium.sandboxer.ociruntime.RootfsMounts;
import io.atrium.sandboxer.ociruntime.StateStore;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.ns.PodNamespaces;
import io.atrium.bindings.process.ProcessReaper;
import java.time.Clock;
import java.util.concurrent.ExecutorService;

/** The services one sandboxer instance shares among its pods. */
record RuncEnvironment(RuncSettings settings, OciRuntime runc, Mounts mounts, PodNamespaces namespaces, CgroupTree cgroups,
        RootfsMounts rootfs, ProcessStreams streams, OciLauncher launcher, OciSpecAdjuster specs,
        StateStore<PersistedPod> store, ProcessReaper reaper, ExecutorService exits, Clock clock, ObjectMapper json) {

    /** Pod state files: {@code <state>/pods/<id>.json}. */
    static final int STATE_FORMAT = 1;
}
