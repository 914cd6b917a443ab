package io.atrium.bindings.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import java.io.Closeable;

/**
 * One vCPU with its mmap'd {@code struct kvm_run}. Not thread-safe: a vCPU is driven by one thread.
 */
public final class KvmVcpu implements Closeable {
    private final LibC libc = LibC.INSTANCE;
    private final NativeFd fd;
    private final int runSize;
    private Pointer run;
    private VcpuExit lastExit;

    KvmVcpu(NativeFd fd, int runSize) throws ErrnoException {
        this.fd = fd;
        this.runSize = runSize;
        try {
            this.run = libc.mmap(null, runSize, FileFlags.PROT_READ | FileFlags.PROT_WRITE, FileFlags.MAP_SHARED,
                    fd.fd(), 0);
        } catch (LastErrorException e) {
            fd.close();
            throw new ErrnoException(e.getErrorCode(), "mmap(kvm_run)", fd.fd(), runSize);
        }
        if (Pointer.nativeValue(run) == -1L) {
            fd.close();
            throw new ErrnoException(Errno.ENOMEM.number(), "mmap(kvm_run)", runSize);
        }
    }

    public KvmRegs regs() throws ErrnoException {
        Memory m = new Memory(KvmIoctls.REGS_SIZE);
        Ioctl.call(fd.fd(), KvmIoctls.KVM_GET_REGS, "KVM_GET_REGS", m);
        return KvmRegs.read(m);
    }

    public void setRegs(KvmRegs regs) throws ErrnoException {
        Ioctl.call(fd.fd(), KvmIoctls.KVM_SET_REGS, "KVM_SET_REGS", regs.write());
    }

    public KvmSregs sregs() throws ErrnoException {
        Memory m = new Memory(KvmIoctls.SREGS_SIZE);
        Ioctl.call(fd.fd(), KvmIoctls.KVM_GET_SREGS, "KVM_GET_SREGS", m);
        return new KvmSregs(m);
    }

    public void setSregs(KvmSregs sregs) throws ErrnoException {
        Ioctl.call(fd.fd(), KvmIoctls.KVM_SET_SREGS, "KVM_SET_SREGS", sregs.raw());
    }

    /** KVM_RUN until the next exit to user space (retrying EINTR). */
    public VcpuExit run() throws ErrnoException {
        Pointer r = live();
        while (true) {
            try {
                libc.ioctl(fd.fd(), KvmIoctls.KVM_RUN, 0L);
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number() && e.getErrorCode() != Errno.EAGAIN.number()) {
                    throw new ErrnoException(e.getErrorCode(), "ioctl", fd.fd(), "KVM_RUN");
                }
            }
        }
        lastExit = decode(r, runSize);
        return lastExit;
    }

    private static VcpuExit decode(Pointer r, int runSize) {
        int reason = r.getInt(KvmIoctls.RUN_EXIT_REASON);
        switch (reason) {
            case KvmIoctls.KVM_EXIT_IO: {
                boolean out = r.getByte(KvmIoctls.RUN_IO_DIRECTION) == KvmIoctls.KVM_EXIT_IO_OUT;
                int size = r.getByte(KvmIoctls.RUN_IO_SIZE) & 0xff;
                int port = r.getShort(KvmIoctls.RUN_IO_PORT) & 0xffff;
                int count = r.getInt(KvmIoctls.RUN_IO_COUNT);
                long off = r.getLong(KvmIoctls.RUN_IO_DATA_OFFSET);
                long n = (long) size * count;
                if (off < 0 || off + n > runSize) {
                    return new VcpuExit.Other(reason); // a malformed exit; never read outside kvm_run
                }
                byte[] data = out ? r.getByteArray(off, (int) n) : new byte[0];
                return new VcpuExit.Io(out, port, size, count, data);
            }
            case KvmIoctls.KVM_EXIT_MMIO: {
                boolean write = r.getByte(KvmIoctls.RUN_MMIO_IS_WRITE) != 0;
                int len = Math.min(8, r.getInt(KvmIoctls.RUN_MMIO_LEN));
                byte[] data = write ? r.getByteArray(KvmIoctls.RUN_MMIO_DATA, len) : new byte[len];
                return new VcpuExit.Mmio(r.getLong(KvmIoctls.RUN_MMIO_PHYS_ADDR), write, data);
            }
            case KvmIoctls.KVM_EXIT_HLT:
                return new VcpuExit.Hlt();
            case KvmIoctls.KVM_EXIT_SHUTDOWN:
                return new VcpuExit.Shutdown();
            case KvmIoctls.KVM_EXIT_FAIL_ENTRY:
                return new VcpuExit.FailEntry(r.getLong(KvmIoctls.RUN_FAIL_ENTRY_REASON));
            case KvmIoctls.KVM_EXIT_INTERNAL_ERROR:
                return new VcpuExit.InternalError(r.getInt(KvmIoctls.RUN_INTERNAL_SUBERROR));
            default:
                return new VcpuExit.Other(reason);
        }
    }

    /** Supplies the bytes an IN instruction reads; call after an {@link VcpuExit.Io} with out=false, before run(). */
    public void completeIoIn(byte[] data) {
        if (!(lastExit instanceof VcpuExit.Io io) || io.out()) {
            throw new IllegalStateException("last exit was not an IO read: " + lastExit);
        }
        if (data.length != io.size() * io.count()) {
            throw new IllegalArgumentException("IN wants " + io.size() * io.count() + " bytes, got " + data.length);
        }
        Pointer r = live();
        r.write(r.getLong(KvmIoctls.RUN_IO_DATA_OFFSET), data, 0, data.length);
    }

    /** Supplies the bytes an MMIO read returns; call after an {@link VcpuExit.Mmio} with write=false, before run(). */
    public void completeMmioRead(byte[] data) {
        if (!(lastExit instanceof VcpuExit.Mmio mmio) || mmio.write()) {
            throw new IllegalStateException("last exit was not an MMIO read: " + lastExit);
        }
        if (data.length != mmio.data().length) {
            throw new IllegalArgumentException("MMIO read wants " + mmio.data().length + " bytes, got " + data.length);
        }
        live().write(KvmIoctls.RUN_MMIO_DATA, data, 0, data.length);
    }

    private synchronized Pointer live() {
        if (run == null) {
            throw new IllegalStateException("vcpu closed");
        }
        return run;
    }

    @Override
    public synchronized void close() throws ErrnoException {
        if (run != null) {
            try {
                libc.munmap(run, runSize);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "munmap(kvm_run)", runSize);
            } finally {
                run = null;
                fd.close();
            }
        }
    }
}
