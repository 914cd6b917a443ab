/** A typed client for containerd's task v2 service ({@code containerd.task.v2.Task}) over ttrpc. */
@Export
@Version("1.0.0")
package io.atrium.ttrpc.task;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
