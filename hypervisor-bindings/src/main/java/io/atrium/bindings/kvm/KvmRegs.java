package io.atrium.bindings.kvm;

import com.sun.jna.Memory;

/** General-purpose registers, {@code struct kvm_regs} from {@code asm/kvm.h} (x86_64). */
public record KvmRegs(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                      long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                      long rip, long rflags) {

    /** Registers for a real-mode start: everything zero, bit 1 of RFLAGS (always set) on. */
    public static KvmRegs realMode(long rip, long rsp) {
        return new KvmRegs(0, 0, 0, 0, 0, 0, rsp, 0, 0, 0, 0, 0, 0, 0, 0, 0, rip, 0x2);
    }

    public KvmRegs withRip(long newRip) {
        return new KvmRegs(rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, newRip, rflags);
    }

    public KvmRegs withRax(long v) {
        return new KvmRegs(v, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags);
    }

    static KvmRegs read(Memory m) {
        long[] r = new long[18];
        m.read(0, r, 0, 18);
        return new KvmRegs(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
                r[14], r[15], r[16], r[17]);
    }

    Memory write() {
        Memory m = new Memory(KvmIoctls.REGS_SIZE);
        m.write(0, new long[] {rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags},
                0, 18);
        return m;
    }
}
