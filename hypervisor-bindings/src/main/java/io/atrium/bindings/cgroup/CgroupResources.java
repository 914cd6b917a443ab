package io.atrium.bindings.cgroup;

import java.util.Map;

/**
 * Resource settings for one cgroup, in OCI runtime-spec terms; a null field is left unchanged.
 *
 * @param cpuShares       v1 cpu.shares (2..262144); on v2 converted to cpu.weight as runc does
 * @param cpuQuotaMicros  CFS quota per period, -1 for none
 * @param memoryLimit     bytes, -1 for none
 * @param memorySwapLimit memory plus swap, bytes (OCI semantics), -1 for none
 * @param pidsLimit       maximum tasks, -1 for none
 * @param hugetlbLimits   page size as the kernel names it (e.g. {@code 2MB}) to bytes
 */
public record CgroupResources(Long cpuShares, Long cpuQuotaMicros, Long cpuPeriodMicros, String cpusetCpus,
                              String cpusetMems, Long memoryLimit, Long memorySwapLimit, Long pidsLimit,
                              Map<String, Long> hugetlbLimits) {

    public CgroupResources {
        hugetlbLimits = hugetlbLimits == null ? Map.of() : Map.copyOf(hugetlbLimits);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link CgroupResources}; unset fields stay null (unchanged). */
    public static final class Builder {
        private Long cpuShares;
        private Long cpuQuota;
        private Long cpuPeriod;
        private String cpus;
        private String mems;
        private Long memory;
        private Long swap;
        private Long pids;
        private Map<String, Long> hugetlb = Map.of();

        public Builder cpuShares(long v) {
            cpuShares = v;
            return this;
        }

        public Builder cpuQuota(long quotaMicros, long periodMicros) {
            cpuQuota = quotaMicros;
            cpuPeriod = periodMicros;
            return this;
        }

        public Builder cpuset(String cpus, String mems) {
            this.cpus = cpus;
            this.mems = mems;
            return this;
        }

        public Builder memory(long limit) {
            memory = limit;
            return this;
        }

        public Builder memorySwap(long limit) {
            swap = limit;
            return this;
        }

        public Builder pids(long limit) {
            pids = limit;
            return this;
        }

        public Builder hugetlb(Map<String, Long> limits) {
            hugetlb = limits;
            return this;
        }

        public CgroupResources build() {
            return new CgroupResources(cpuShares, cpuQuota, cpuPeriod, cpus, mems, memory, swap, pids, hugetlb);
        }
    }
}
