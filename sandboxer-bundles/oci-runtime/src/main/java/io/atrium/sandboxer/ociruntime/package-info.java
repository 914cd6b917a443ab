/**
 * Shared parts of sandboxers that drive an OCI runtime CLI such as runc or gVisor's runsc: the CLI
 * wrapper ({@link io.atrium.sandboxer.ociruntime.OciRuntime}, binary and global flags configurable),
 * CRI-format logs, FIFO and terminal stdio plumbing, OCI spec adjustments with a hook for the
 * runtime's own, rootfs mounts, cgroup clean-up and atomically persisted state.
 *
 * <p>A library bundle, not an API: the types are concrete and evolve with their two users.
 */
@Export
@Version("1.1.0")
package io.atrium.sandboxer.ociruntime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
