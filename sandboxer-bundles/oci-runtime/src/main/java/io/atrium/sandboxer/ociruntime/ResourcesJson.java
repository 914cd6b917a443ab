package io.atrium.sandboxer.ociruntime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.bindings.cgroup.CgroupResources;
import io.atrium.sandbox.api.Resources;

/** CRI resources in the two shapes this sandboxer needs: OCI LinuxResources for the runtime CLI, and the bindings' cgroup settings. */
public final class ResourcesJson {
    private ResourcesJson() {
    }

    /** The OCI {@code linux.resources} document {@code runc update --resources} reads; zero fields are left out. */
    public static ObjectNode toLinuxResources(ObjectMapper json, Resources r) {
        ObjectNode root = json.createObjectNode();
        ObjectNode cpu = json.createObjectNode();
        if (r.cpuShares() > 0) {
            cpu.put("shares", r.cpuShares());
        }
        if (r.cpuQuota() != 0) {
            cpu.put("quota", r.cpuQuota());
        }
        if (r.cpuPeriod() > 0) {
            cpu.put("period", r.cpuPeriod());
        }
        if (!r.cpusetCpus().isEmpty()) {
            cpu.put("cpus", r.cpusetCpus());
        }
        if (!r.cpusetMems().isEmpty()) {
            cpu.put("mems", r.cpusetMems());
        }
        if (!cpu.isEmpty()) {
            root.set("cpu", cpu);
        }
        ObjectNode memory = json.createObjectNode();
        if (r.memoryLimitBytes() != 0) {
            memory.put("limit", r.memoryLimitBytes());
        }
        if (r.memorySwapLimitBytes() != 0) {
            memory.put("swap", r.memorySwapLimitBytes());
        }
        if (!memory.isEmpty()) {
            root.set("memory", memory);
        }
        if (r.pidsLimit() != 0) {
            root.putObject("pids").put("limit", r.pidsLimit());
        }
        return root;
    }

    /** Pod-level limits for the pod cgroup; zero fields stay unchanged. */
    public static CgroupResources toCgroup(Resources r) {
        CgroupResources.Builder b = CgroupResources.builder();
        if (r.cpuShares() > 0) {
            b.cpuShares(r.cpuShares());
        }
        if (r.cpuQuota() != 0) {
            b.cpuQuota(r.cpuQuota(), r.cpuPeriod() > 0 ? r.cpuPeriod() : 100_000);
        }
        if (!r.cpusetCpus().isEmpty() || !r.cpusetMems().isEmpty()) {
            b.cpuset(r.cpusetCpus().isEmpty() ? null : r.cpusetCpus(), r.cpusetMems().isEmpty() ? null : r.cpusetMems());
        }
        if (r.memoryLimitBytes() != 0) {
            b.memory(r.memoryLimitBytes());
        }
        if (r.memorySwapLimitBytes() != 0) {
            b.memorySwap(r.memorySwapLimitBytes());
        }
        if (r.pidsLimit() != 0) {
            b.pids(r.pidsLimit());
        }
        return b.build();
    }
}
