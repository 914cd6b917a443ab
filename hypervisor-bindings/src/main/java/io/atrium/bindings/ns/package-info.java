/**
 * Pod namespaces without a pause container: create, pin (bind mounts of nsfs files), enter on a
 * discarded thread, release.
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.ns;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
