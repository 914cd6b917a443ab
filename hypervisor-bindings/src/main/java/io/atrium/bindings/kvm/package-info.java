/**
 * KVM through its ioctl interface: {@link io.atrium.bindings.kvm.KvmSystem} ({@code /dev/kvm}),
 * {@link io.atrium.bindings.kvm.KvmVm}, {@link io.atrium.bindings.kvm.KvmVcpu} with the mmap'd
 * {@code kvm_run}, and {@link io.atrium.bindings.kvm.KvmProbe} to choose KVM or TCG.
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.kvm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
