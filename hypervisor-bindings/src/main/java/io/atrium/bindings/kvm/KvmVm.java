package io.atrium.bindings.kvm;

import com.sun.jna.Memory;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.NativeFd;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;

/** One virtual machine: its memory slots and vCPUs. Closing it closes its vCPUs too. */
public final class KvmVm implements Closeable {
    private final NativeFd fd;
    private final int runSize;
    private final List<KvmVcpu> vcpus = new ArrayList<>();

    KvmVm(NativeFd fd, int runSize) {
        this.fd = fd;
        this.runSize = runSize;
    }

    /**
     * KVM_SET_USER_MEMORY_REGION: backs guest-physical {@code [guestPhysAddr, +memory.size())} with
     * {@code memory}. The address must be page aligned.
     */
    public void setUserMemoryRegion(int slot, long guestPhysAddr, GuestMemory memory) throws ErrnoException {
        if (guestPhysAddr % GuestMemory.PAGE_SIZE != 0) {
            throw new ErrnoException(Errno.EINVAL.number(), "KVM_SET_USER_MEMORY_REGION(unaligned guest address)",
                    slot, Long.toHexString(guestPhysAddr));
        }
        Memory region = new Memory(KvmIoctls.USER_MEMORY_REGION_SIZE);
        region.setInt(0, slot);
        region.setInt(4, 0); // flags
        region.setLong(8, guestPhysAddr);
        region.setLong(16, memory.size());
        region.setLong(24, memory.address());
        Ioctl.call(fd.fd(), KvmIoctls.KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", region);
    }

    /** KVM_SET_TSS_ADDR: three pages of guest-physical space Intel VMX needs for real mode emulation. */
    public void setTssAddress(long guestPhysAddr) throws ErrnoException {
        Ioctl.call(fd.fd(), KvmIoctls.KVM_SET_TSS_ADDR, "KVM_SET_TSS_ADDR", guestPhysAddr);
    }

    /** KVM_CREATE_VCPU, mapping its {@code kvm_run}. */
    public synchronized KvmVcpu createVcpu(int id) throws ErrnoException {
        int vcpufd = Ioctl.call(fd.fd(), KvmIoctls.KVM_CREATE_VCPU, "KVM_CREATE_VCPU", id);
        KvmVcpu v = new KvmVcpu(new NativeFd(vcpufd, "kvm-vcpu:" + id), runSize);
        vcpus.add(v);
        return v;
    }

    @Override
    public synchronized void close() throws ErrnoException {
        for (KvmVcpu v : vcpus) {
            v.close();
        }
        vcpus.clear();
        fd.close();
    }
}
