/**
 * cgroups behind one interface, {@link io.atrium.bindings.cgroup.CgroupController}, for v1 (per-controller
 * hierarchies) and v2 (unified), chosen by {@link io.atrium.bindings.cgroup.Cgroups#detect}.
 */
@Export
@Version("1.0.0")
package io.atrium.bindings.cgroup;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
