package io.atrium.oci.spec;

import java.util.List;
import java.util.Map;

/** cgroup limits of a container ({@code linux.resources}). */
public record Resources(List<DeviceRule> devices, Memory memory, Cpu cpu, Pids pids, BlockIO blockIO,
        List<HugepageLimit> hugepageLimits, Network network, Map<String, String> unified) {

    public Resources {
        devices = Copies.list(devices);
        hugepageLimits = Copies.list(hugepageLimits);
        unified = Copies.map(unified);
    }

    /** A device cgroup rule; {@code access} is a combination of r, w and m. */
    public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {
    }

    /** Memory limits in bytes; {@code swap} is memory plus swap, -1 for unlimited. */
    public record Memory(Long limit, Long reservation, Long swap, Long kernel, Long kernelTCP, Long swappiness,
            Boolean disableOOMKiller, Boolean useHierarchy, Boolean checkBeforeUpdate) {
    }

    /** CPU limits: CFS shares, quota and period (microseconds), and cpusets. */
    public record Cpu(Long shares, Long quota, Long burst, Long period, Long realtimeRuntime, Long realtimePeriod,
            String cpus, String mems, Long idle) {
    }

    /** Maximum number of tasks; -1 or 0 for unlimited. */
    public record Pids(long limit) {
    }

    /** Block I/O weight and throttles. */
    public record BlockIO(Integer weight, Integer leafWeight, List<WeightDevice> weightDevice,
            List<ThrottleDevice> throttleReadBpsDevice, List<ThrottleDevice> throttleWriteBpsDevice,
            List<ThrottleDevice> throttleReadIOPSDevice, List<ThrottleDevice> throttleWriteIOPSDevice) {
        public BlockIO {
            weightDevice = Copies.list(weightDevice);
            throttleReadBpsDevice = Copies.list(throttleReadBpsDevice);
            throttleWriteBpsDevice = Copies.list(throttleWriteBpsDevice);
            throttleReadIOPSDevice = Copies.list(throttleReadIOPSDevice);
            throttleWriteIOPSDevice = Copies.list(throttleWriteIOPSDevice);
        }

        public record WeightDevice(long major, long minor, Integer weight, Integer leafWeight) {
        }

        public record ThrottleDevice(long major, long minor, long rate) {
        }
    }

    /** A hugetlb limit: {@code pageSize} like {@code 2MB}, {@code limit} in bytes. */
    public record HugepageLimit(String pageSize, long limit) {
    }

    /** Network class id and interface priorities. */
    public record Network(Long classID, List<InterfacePriority> priorities) {
        public Network {
            priorities = Copies.list(priorities);
        }

        public record InterfacePriority(String name, int priority) {
        }
    }
}
