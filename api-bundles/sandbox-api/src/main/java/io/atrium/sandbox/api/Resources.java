package io.atrium.sandbox.api;

import java.util.Map;

/**
 * Linux resources of a pod or container (CRI LinuxContainerResources). Zero or null means unset.
 */
public record Resources(
        long cpuShares, long cpuQuota, long cpuPeriod, String cpusetCpus, String cpusetMems,
        long memoryLimitBytes, long memorySwapLimitBytes, long pidsLimit, long oomScoreAdj,
        Map<String, Long> hugepageLimits, Map<String, String> unified) {

    public static final Resources NONE = new Resources(0, 0, 0, "", "", 0, 0, 0, 0, Map.of(), Map.of());

    public Resources {
        cpusetCpus = cpusetCpus == null ? "" : cpusetCpus;
        cpusetMems = cpusetMems == null ? "" : cpusetMems;
        hugepageLimits = hugepageLimits == null ? Map.of() : Map.copyOf(hugepageLimits);
        unified = unified == null ? Map.of() : Map.copyOf(unified);
    }
}
