/**
 * The Sandbox API: how the engine hands pods to sandboxers and containers to a sandbox's tasks.
 *
 * <p>Modelled on containerd's sandbox Controller and shim task v2 service. Minor versions only add:
 * new interface methods come with defaults, and records implementers construct keep their previous
 * canonical constructor as an extra constructor, so a sandboxer built against 1.0 runs on any 1.x.
 */
@Export
@Version("1.2.0")
package io.atrium.sandbox.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
