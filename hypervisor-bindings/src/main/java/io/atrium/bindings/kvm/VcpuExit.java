package io.atrium.bindings.kvm;

/** Why KVM_RUN returned to user space ({@code kvm_run.exit_reason}). */
public sealed interface VcpuExit {

    /** Port I/O; for {@code out}, {@code data} holds size*count bytes the guest wrote. */
    record Io(boolean out, int port, int size, int count, byte[] data) implements VcpuExit {
    }

    /** An access to guest-physical memory no slot backs. For writes {@code data} is what was written. */
    record Mmio(long address, boolean write, byte[] data) implements VcpuExit {
    }

    /** The guest executed HLT. */
    record Hlt() implements VcpuExit {
    }

    /** The guest triple-faulted (or otherwise shut down). */
    record Shutdown() implements VcpuExit {
    }

    /** VM entry failed; {@code hardwareReason} is vendor specific. */
    record FailEntry(long hardwareReason) implements VcpuExit {
    }

    /** KVM could not emulate something; see {@code KVM_INTERNAL_ERROR_*}. */
    record InternalError(int suberror) implements VcpuExit {
    }

    /** Any other exit reason. */
    record Other(int reason) implements VcpuExit {
    }
}
