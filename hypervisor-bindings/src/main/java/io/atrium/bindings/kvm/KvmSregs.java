package io.atrium.bindings.kvm;

import com.sun.jna.Memory;

/**
 * Special registers, {@code struct kvm_sregs} from {@code asm/kvm.h} (x86_64, 312 bytes). Mutable:
 * read with {@link KvmVcpu#sregs()}, change, write back with {@link KvmVcpu#setSregs(KvmSregs)}.
 */
public final class KvmSregs {
    /** Order of the segment registers in the struct. */
    public enum Segment { CS, DS, ES, FS, GS, SS, TR, LDT }

    private static final int GDT = 192;
    private static final int IDT = 208;
    private static final int CR0 = 224;
    private static final int CR3 = 240;
    private static final int CR4 = 248;
    private static final int EFER = 264;

    private final Memory raw;

    KvmSregs(Memory raw) {
        this.raw = raw;
    }

    Memory raw() {
        return raw;
    }

    public KvmSegment segment(Segment s) {
        return KvmSegment.read(raw, (long) s.ordinal() * KvmSegment.SIZE);
    }

    public KvmSregs segment(Segment s, KvmSegment value) {
        value.write(raw, (long) s.ordinal() * KvmSegment.SIZE);
        return this;
    }

    public long cr0() {
        return raw.getLong(CR0);
    }

    public KvmSregs cr0(long v) {
        raw.setLong(CR0, v);
        return this;
    }

    public long cr3() {
        return raw.getLong(CR3);
    }

    public long cr4() {
        return raw.getLong(CR4);
    }

    public long efer() {
        return raw.getLong(EFER);
    }

    public long idtBase() {
        return raw.getLong(IDT);
    }

    public int idtLimit() {
        return raw.getShort(IDT + 8) & 0xffff;
    }

    /** Sets the interrupt descriptor table (in real mode: the interrupt vector table). */
    public KvmSregs idt(long base, int limit) {
        raw.setLong(IDT, base);
        raw.setShort(IDT + 8, (short) limit);
        return this;
    }

    public KvmSregs gdt(long base, int limit) {
        raw.setLong(GDT, base);
        raw.setShort(GDT + 8, (short) limit);
        return this;
    }

    /** Real mode with every data/code segment at {@code selector << 4}. */
    public KvmSregs realMode(int selector) {
        for (Segment s : new Segment[] {Segment.CS, Segment.DS, Segment.ES, Segment.FS, Segment.GS, Segment.SS}) {
            segment(s, segment(s).realMode(selector));
        }
        return cr0(cr0() & ~1L);
    }
}
