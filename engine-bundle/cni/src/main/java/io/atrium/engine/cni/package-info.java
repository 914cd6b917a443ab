/**
 * Pod networking as the engine sees it: {@link io.atrium.engine.cni.PodNetworks} attaches a pod's
 * network namespace to the node's network and detaches it again. Only interfaces and records;
 * the CNI client behind it is private to the bundle.
 */
@Export
@Version("1.0.0")
package io.atrium.engine.cni;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
