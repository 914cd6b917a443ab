package io.atrium.sandboxer.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * A module's linear memory capped at the container's memory limit.
 *
 * <p>Growing past the module's own declared maximum fails the Wasm way ({@code memory.grow} answers
 * -1). Growing past the container's limit behaves like the kernel's OOM killer under a cgroup
 * limit: the module is ended at once with {@link MemoryLimitExceeded}, so kubelet sees OOMKilled
 * rather than a program that may or may not notice a failed allocation.
 */
final class LimitedMemory implements Memory {
    static final long PAGE_BYTES = Memory.PAGE_SIZE;

    private final ByteArrayMemory pages;
    private volatile int limitPages;

    LimitedMemory(MemoryLimits declared, int limitPages) {
        this.limitPages = limitPages;
        if (declared.initialPages() > limitPages) {
            throw new MemoryLimitExceeded(declared.initialPages(), limitPages);
        }
        this.pages = new ByteArrayMemory(declared);
    }

    /** Pages a byte limit allows; 0 or less means no limit beyond Chicory's own 2 GiB. */
    static int pagesFor(long limitBytes) {
        if (limitBytes <= 0) {
            return ByteArrayMemory.RUNTIME_MAX_PAGES;
        }
        return (int) Math.min(ByteArrayMemory.RUNTIME_MAX_PAGES, limitBytes / PAGE_BYTES);
    }

    /** Changes the limit (UpdateContainerResources); memory already in use is never taken back. */
    void limitPages(int pages) {
        this.limitPages = pages;
    }

    int limitPages() {
        return limitPages;
    }

    @Override
    public int grow(int size) {
        int wanted = pages.pages() + size;
        if (size > 0 && wanted > limitPages && wanted <= pages.maximumPages()) {
            throw new MemoryLimitExceeded(wanted, limitPages);
        }
        return pages.grow(size);
    }

    // Everything else is the plain byte-array memory.

    @Override
    public int pages() {
        return pages.pages();
    }

    @Override
    public int initialPages() {
        return pages.initialPages();
    }

    @Override
    public int maximumPages() {
        return pages.maximumPages();
    }

    @Override
    public boolean shared() {
        return pages.shared();
    }

    @Override
    public Object lock(int address) {
        return pages.lock(address);
    }

    @Override
    public int waitOn(int address, int expected, long timeout) {
        return pages.waitOn(address, expected, timeout);
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        return pages.waitOn(address, expected, timeout);
    }

    @Override
    public int notify(int address, int maxThreads) {
        return pages.notify(address, maxThreads);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        pages.initialize(instance, dataSegments);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        pages.initialize(instance, dataSegments, memoryIndex);
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        pages.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        pages.write(addr, data, offset, size);
    }

    @Override
    public byte read(int addr) {
        return pages.read(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        return pages.readBytes(addr, len);
    }

    @Override
    public void writeI32(int addr, int data) {
        pages.writeI32(addr, data);
    }

    @Override
    public int readInt(int addr) {
        return pages.readInt(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        pages.writeLong(addr, data);
    }

    @Override
    public long readLong(int addr) {
        return pages.readLong(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
        pages.writeShort(addr, data);
    }

    @Override
    public short readShort(int addr) {
        return pages.readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        return pages.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        pages.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        pages.writeF32(addr, data);
    }

    @Override
    public long readF32(int addr) {
        return pages.readF32(addr);
    }

    @Override
    public float readFloat(int addr) {
        return pages.readFloat(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        pages.writeF64(addr, data);
    }

    @Override
    public double readDouble(int addr) {
        return pages.readDouble(addr);
    }

    @Override
    public long readF64(int addr) {
        return pages.readF64(addr);
    }

    @Override
    public void zero() {
        pages.zero();
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        pages.fill(value, fromIndex, toIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        pages.copy(dest, src, size);
    }

    @Override
    public void drop(int segment) {
        pages.drop(segment);
    }

    /** The module asked for more linear memory than its container may have. */
    static final class MemoryLimitExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MemoryLimitExceeded(int wantedPages, int limitPages) {
            super("linear memory of " + wantedPages + " pages (" + wantedPages * PAGE_BYTES / 1024
                    + " KiB) exceeds the container's limit of " + limitPages + " pages", null, false, false);
        }
    }
}
