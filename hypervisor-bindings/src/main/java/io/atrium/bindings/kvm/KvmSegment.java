package io.atrium.bindings.kvm;

import com.sun.jna.Memory;

/** A segment register, {@code struct kvm_segment} from {@code asm/kvm.h} (24 bytes). */
public record KvmSegment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                         boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    static final int SIZE = 24;

    /** A real-mode segment at {@code selector << 4} with a 64 KiB limit. */
    public KvmSegment realMode(int newSelector) {
        return new KvmSegment((long) newSelector << 4, 0xffff, newSelector, type, present, dpl, db, s, l, g, avl, unusable);
    }

    static KvmSegment read(Memory m, long off) {
        return new KvmSegment(m.getLong(off), m.getInt(off + 8), m.getShort(off + 12) & 0xffff, m.getByte(off + 14),
                m.getByte(off + 15) != 0, m.getByte(off + 16), m.getByte(off + 17) != 0, m.getByte(off + 18) != 0,
                m.getByte(off + 19) != 0, m.getByte(off + 20) != 0, m.getByte(off + 21) != 0, m.getByte(off + 22) != 0);
    }

    void write(Memory m, long off) {
        m.setLong(off, base);
        m.setInt(off + 8, limit);
        m.setShort(off + 12, (short) selector);
        m.setByte(off + 14, (byte) type);
        m.setByte(off + 15, (byte) (present ? 1 : 0));
        m.setByte(off + 16, (byte) dpl);
        m.setByte(off + 17, (byte) (db ? 1 : 0));
        m.setByte(off + 18, (byte) (s ? 1 : 0));
        m.setByte(off + 19, (byte) (l ? 1 : 0));
        m.setByte(off + 20, (byte) (g ? 1 : 0));
        m.setByte(off + 21, (byte) (avl ? 1 : 0));
        m.setByte(off + 22, (byte) (unusable ? 1 : 0));
    }
}
