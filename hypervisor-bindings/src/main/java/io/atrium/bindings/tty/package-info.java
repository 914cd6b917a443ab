/**
 * Terminals for container processes: the console socket an OCI runtime hands a pseudo-terminal
 * master through (SCM_RIGHTS), window size and raw mode ioctls, and a wakeable channel over a raw
 * file descriptor (a pty master or a FIFO held by number, so it can outlive a bundle instance).
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.tty;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
