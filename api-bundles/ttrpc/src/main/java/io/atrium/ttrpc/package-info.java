/**
 * containerd's ttrpc protocol: framing, a multiplexing client and a dispatching server over any
 * byte channel (Unix socket, vsock, virtio-serial port).
 *
 * <p>Hand-written because no maintained Java ttrpc library exists; the protocol is small (a
 * 10-byte header and two protobuf envelopes), so this package depends on protobuf-java only.
 * Wire facts follow ttrpc's PROTOCOL.md and request.proto.
 */
@Export
@Version("1.0.0")
package io.atrium.ttrpc;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
