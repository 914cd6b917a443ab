/**
 * libc through JNA: namespaces, mounts, pidfds, waitid, prctl, statfs, hostname. Failures are
 * {@link io.atrium.bindings.libc.ErrnoException}s naming the call, its arguments and the errno;
 * calls that would change state shared by every JVM thread are refused with
 * {@link io.atrium.bindings.libc.RefusedCallException}.
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.libc;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
