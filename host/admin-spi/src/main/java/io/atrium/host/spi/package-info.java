/**
 * What bundles use from the host: admin commands contributed by bundles and served on the node's
 * root-only admin socket, and listening sockets the host owns and lends to bundles.
 */
@Export
@Version("1.1.0")
package io.atrium.host.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
