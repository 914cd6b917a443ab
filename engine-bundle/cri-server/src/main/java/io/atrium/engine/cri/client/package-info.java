/** A small client for the CRI unix socket, for tests and tools. */
@Export
@Version("1.0.0")
package io.atrium.engine.cri.client;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
