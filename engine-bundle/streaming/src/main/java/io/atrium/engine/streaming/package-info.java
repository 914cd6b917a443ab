/**
 * The CRI streaming server as the engine sees it: {@link io.atrium.engine.streaming.StreamingServer}
 * turns an Exec, Attach or PortForward request into a single-use URL that kubectl, crictl and
 * kubelet's clients connect to. Only interfaces and records; the server behind it is private.
 */
@Export
@Version("1.0.0")
package io.atrium.engine.streaming;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
