package io.atrium.bindings.kvm;

import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.libc.Syscalls;
import java.io.Closeable;
import java.nio.file.Path;

/** An open {@code /dev/kvm}: system-level queries and VM creation. */
public final class KvmSystem implements Closeable {
    public static final Path DEVICE = Path.of("/dev/kvm");

    private final NativeFd fd;

    public KvmSystem(Syscalls sys) throws ErrnoException {
        this(sys, DEVICE);
    }

    public KvmSystem(Syscalls sys, Path device) throws ErrnoException {
        this.fd = sys.open(device, FileFlags.O_RDWR);
    }

    /** KVM_GET_API_VERSION; 12 on every kernel that matters. */
    public int apiVersion() throws ErrnoException {
        return Ioctl.call(fd.fd(), KvmIoctls.KVM_GET_API_VERSION, "KVM_GET_API_VERSION", 0);
    }

    /** KVM_CHECK_EXTENSION: 0 if absent, else 1 or a capability-specific value. */
    public int checkExtension(int capability) throws ErrnoException {
        return Ioctl.call(fd.fd(), KvmIoctls.KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION", capability);
    }

    /** KVM_GET_VCPU_MMAP_SIZE: bytes to map per vCPU for its {@code kvm_run}. */
    public int vcpuMmapSize() throws ErrnoException {
        return Ioctl.call(fd.fd(), KvmIoctls.KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE", 0);
    }

    /** KVM_CREATE_VM with the default machine type. */
    public KvmVm createVm() throws ErrnoException {
        int vmfd = Ioctl.call(fd.fd(), KvmIoctls.KVM_CREATE_VM, "KVM_CREATE_VM", 0);
        return new KvmVm(new NativeFd(vmfd, "kvm-vm"), vcpuMmapSize());
    }

    @Override
    public void close() throws ErrnoException {
        fd.close();
    }
}
