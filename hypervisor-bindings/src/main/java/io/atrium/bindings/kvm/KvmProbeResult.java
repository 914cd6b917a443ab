package io.atrium.bindings.kvm;

/**
 * What {@link KvmProbe} found.
 *
 * @param devicePresent      {@code /dev/kvm} exists
 * @param usable             it opens and answers API version 12
 * @param backend            the KVM module in use: {@code kvm_intel}, {@code kvm_amd}, {@code kvm_pvm}, or {@code unknown}
 * @param tinyGuestRuns      a real-mode guest executed OUT and HLT here
 * @param linuxGuestBootable whether a stock Linux guest kernel can be expected to boot
 * @param reason             why, in one sentence
 */
public record KvmProbeResult(boolean devicePresent, boolean usable, int apiVersion, String backend,
                             boolean tinyGuestRuns, boolean linuxGuestBootable, String reason) {

    /** The accelerator a microVM sandboxer should use. */
    public enum Accelerator { KVM, TCG }

    public Accelerator recommended() {
        return linuxGuestBootable ? Accelerator.KVM : Accelerator.TCG;
    }
}
