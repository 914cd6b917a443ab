package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.SandboxState;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What survives a bundle update or a node restart about one pod VM: enough to find its QEMU again
 * (pid + kernel start time), reconnect its sockets, detach its container disks and remove what it
 * left on the host. Written as JSON by {@link VmStore}.
 *
 * @param netns the pinned pod netns holding the tap, or null when the VM has no network
 * @param containers container id -> its disk and log
 */
record PersistedVm(String id, String name, String namespace, String hostname, Instant createdAt, SandboxState state,
        Instant stoppedAt, long pid, long pidStartTime, String vmDir, String netns, GuestNetwork net, VmShape shape,
        String accel, String qemuVersion, Map<String, PersistedContainer> containers) {

    PersistedVm {
        containers = containers == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(containers));
    }

    /**
     * One container of the VM.
     *
     * @param serial virtio-blk serial the agent finds the root disk by
     * @param port index of the PCIe root port the disk is plugged into
     * @param image the ext4 image file on the host
     * @param logPath the CRI log file, or null
     * @param terminal whether the main process has a pty
     */
    record PersistedContainer(String id, String serial, int port, String image, String logPath, boolean terminal) {
    }

    PersistedVm withState(SandboxState s, Instant stopped) {
        return new PersistedVm(id, name, namespace, hostname, createdAt, s, stopped, pid, pidStartTime, vmDir, netns, net,
                shape, accel, qemuVersion, containers);
    }

    PersistedVm withProcess(long p, long startTime, String version) {
        return new PersistedVm(id, name, namespace, hostname, createdAt, state, stoppedAt, p, startTime, vmDir, netns, net,
                shape, accel, version, containers);
    }

    PersistedVm withContainer(PersistedContainer c) {
        Map<String, PersistedContainer> m = new LinkedHashMap<>(containers);
        m.put(c.id(), c);
        return new PersistedVm(id, name, namespace, hostname, createdAt, state, stoppedAt, pid, pidStartTime, vmDir, netns,
                net, shape, accel, qemuVersion, m);
    }

    PersistedVm withoutContainer(String containerId) {
        Map<String, PersistedContainer> m = new LinkedHashMap<>(containers);
        m.remove(containerId);
        return new PersistedVm(id, name, namespace, hostname, createdAt, state, stoppedAt, pid, pidStartTime, vmDir, netns,
                net, shape, accel, qemuVersion, m);
    }
}
