package io.atrium.bindings.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import java.io.Closeable;

/**
 * Anonymous, page-aligned host memory from mmap(2), to back a guest memory slot. Reads and writes
 * are bounds-checked so a bad offset is an exception, never a JVM crash.
 */
public final class GuestMemory implements Closeable {
    public static final long PAGE_SIZE = 4096;

    private final LibC libc = LibC.INSTANCE;
    private final long size;
    private Pointer base;

    /** Maps {@code size} bytes (a positive multiple of 4 KiB), zero-filled. */
    public GuestMemory(long size) throws ErrnoException {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new ErrnoException(Errno.EINVAL.number(), "mmap(size must be a positive multiple of 4096)", size);
        }
        Pointer p;
        try {
            p = libc.mmap(null, size, FileFlags.PROT_READ | FileFlags.PROT_WRITE,
                    FileFlags.MAP_PRIVATE | FileFlags.MAP_ANONYMOUS | FileFlags.MAP_NORESERVE, -1, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "mmap", size, "PROT_READ|PROT_WRITE",
                    "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE");
        }
        if (Pointer.nativeValue(p) == -1L) {
            throw new ErrnoException(Errno.ENOMEM.number(), "mmap", size);
        }
        this.size = size;
        this.base = p;
    }

    public long size() {
        return size;
    }

    long address() {
        return Pointer.nativeValue(live());
    }

    public void write(long offset, byte[] bytes) {
        check(offset, bytes.length);
        live().write(offset, bytes, 0, bytes.length);
    }

    public byte[] read(long offset, int length) {
        check(offset, length);
        return live().getByteArray(offset, length);
    }

    private void check(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside guest memory of " + size);
        }
    }

    private synchronized Pointer live() {
        if (base == null) {
            throw new IllegalStateException("guest memory unmapped");
        }
        return base;
    }

    /** Unmaps. Only after the VM that uses it is closed: the guest would otherwise fault on it. */
    @Override
    public synchronized void close() throws ErrnoException {
        if (base != null) {
            try {
                libc.munmap(base, size);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "munmap", size);
            } finally {
                base = null;
            }
        }
    }
}
