/** AF_VSOCK stream sockets for talking to guest agents, as Java streams. */
@Export
@Version("1.0.0")
package io.atrium.bindings.vsock;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
