/**
 * Process supervision without shims: a child-subreaper, pidfd-based {@link io.atrium.bindings.process.ProcessReaper}
 * that reaps exactly the processes it is told about and reports their exits.
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.process;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
