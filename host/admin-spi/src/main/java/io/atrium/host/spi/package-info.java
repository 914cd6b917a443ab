/** Admin commands contributed by bundles and served on the node's root-only admin socket. */
@Export
@Version("1.0.0")
package io.atrium.host.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
