/**
 * The Image API: pulling and importing OCI images into the node's content store, and preparing
 * container root filesystems from them.
 *
 * <p>The engine implements it; sandboxers only consume it ({@link io.atrium.image.api.Snapshotter}
 * for root filesystems). Minor versions only add.
 */
@Export
@Version("1.1.0")
package io.atrium.image.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
