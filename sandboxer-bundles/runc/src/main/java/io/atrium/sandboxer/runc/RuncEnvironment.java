package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.ns.PodNamespaces;
import io.atrium.bindings.process.ProcessReaper;
import java.time.Clock;
import java.util.concurrent.ExecutorService;

/** The services one sandboxer instance shares among its pods. */
record RuncEnvironment(RuncSettings settings, RuncCli runc, Mounts mounts, PodNamespaces namespaces, CgroupTree cgroups,
        RootfsMounts rootfs, ProcessStreams streams, OciSpecAdjuster specs, PodStore store, ProcessReaper reaper,
        ExecutorService exits, Clock clock, ObjectMapper json) {
}
