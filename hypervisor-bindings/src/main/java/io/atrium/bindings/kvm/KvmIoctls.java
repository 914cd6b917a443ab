package io.atrium.bindings.kvm;

/**
 * ioctl numbers, capabilities and exit reasons from {@code linux/kvm.h}, with struct sizes for x86_64
 * ({@code asm/kvm.h}). Request numbers are built as {@code asm-generic/ioctl.h} does.
 */
public final class KvmIoctls {
    private static final int KVMIO = 0xAE;
    private static final int NONE = 0;
    private static final int WRITE = 1;
    private static final int READ = 2;

    static final int REGS_SIZE = 144; // struct kvm_regs
    static final int SREGS_SIZE = 312; // struct kvm_sregs
    static final int USER_MEMORY_REGION_SIZE = 32; // struct kvm_userspace_memory_region

    public static final long KVM_GET_API_VERSION = io(0x00);
    public static final long KVM_CREATE_VM = io(0x01);
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    public static final long KVM_CREATE_VCPU = io(0x41);
    public static final long KVM_SET_USER_MEMORY_REGION = ioc(WRITE, 0x46, USER_MEMORY_REGION_SIZE);
    public static final long KVM_SET_TSS_ADDR = io(0x47);
    public static final long KVM_RUN = io(0x80);
    public static final long KVM_GET_REGS = ioc(READ, 0x81, REGS_SIZE);
    public static final long KVM_SET_REGS = ioc(WRITE, 0x82, REGS_SIZE);
    public static final long KVM_GET_SREGS = ioc(READ, 0x83, SREGS_SIZE);
    public static final long KVM_SET_SREGS = ioc(WRITE, 0x84, SREGS_SIZE);

    /** The only API version there has ever been. */
    public static final int KVM_API_VERSION = 12;

    public static final int KVM_CAP_IRQCHIP = 0;
    public static final int KVM_CAP_HLT = 1;
    public static final int KVM_CAP_USER_MEMORY = 3;
    public static final int KVM_CAP_SET_TSS_ADDR = 4;
    public static final int KVM_CAP_NR_VCPUS = 9;
    public static final int KVM_CAP_NR_MEMSLOTS = 10;
    public static final int KVM_CAP_MAX_VCPUS = 66;

    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;
    public static final int KVM_EXIT_SYSTEM_EVENT = 24;

    public static final int KVM_EXIT_IO_IN = 0;
    public static final int KVM_EXIT_IO_OUT = 1;

    /** struct kvm_run offsets (x86_64). */
    static final int RUN_EXIT_REASON = 8;
    static final int RUN_IO_DIRECTION = 32;
    static final int RUN_IO_SIZE = 33;
    static final int RUN_IO_PORT = 34;
    static final int RUN_IO_COUNT = 36;
    static final int RUN_IO_DATA_OFFSET = 40;
    static final int RUN_MMIO_PHYS_ADDR = 32;
    static final int RUN_MMIO_DATA = 40;
    static final int RUN_MMIO_LEN = 48;
    static final int RUN_MMIO_IS_WRITE = 52;
    static final int RUN_FAIL_ENTRY_REASON = 32;
    static final int RUN_INTERNAL_SUBERROR = 32;

    private KvmIoctls() {
    }

    private static long io(int nr) {
        return ioc(NONE, nr, 0);
    }

    private static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) KVMIO << 8) | nr;
    }
}
