package io.atrium.sandboxer.vmm;

import io.atrium.sandbox.api.Resources;

/** vCPUs and guest memory of one VM. */
public record VmShape(int vcpus, int memoryMib) {

    /**
     * The shape for a pod: its CPU limit (quota/period, rounded up) plus the configured vCPUs, its
     * memory limit plus the configured overhead; the configured defaults when it names no limit.
     */
    static VmShape of(Resources pod, VmmSettings s) {
        int vcpus = s.vcpus();
        if (pod.cpuQuota() > 0 && pod.cpuPeriod() > 0) {
            vcpus += (int) ((pod.cpuQuota() + pod.cpuPeriod() - 1) / pod.cpuPeriod());
        }
        int cap = Math.max(1, Runtime.getRuntime().availableProcessors());
        int memory = pod.memoryLimitBytes() > 0
                ? (int) Math.max(64, (pod.memoryLimitBytes() + (1 << 20) - 1) / (1 << 20)) + s.overheadMib()
                : s.memoryMib();
        return new VmShape(Math.min(vcpus, cap), memory);
    }
}
