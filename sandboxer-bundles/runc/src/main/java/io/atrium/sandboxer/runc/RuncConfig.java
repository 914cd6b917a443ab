package io.atrium.sandboxer.runc;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the runc sandboxer (PID {@code io.atrium.sandboxer.runc}). */
@ObjectClassDefinition(name = "Atrium runc sandboxer")
public @interface RuncConfig {

    @AttributeDefinition(description = "The runc binary")
    String runc_binary() default "/usr/sbin/runc";

    @AttributeDefinition(description = "cgroup (relative to each hierarchy root) that pod cgroups go under when the pod names no parent")
    String cgroup_parent() default "atrium";

    @AttributeDefinition(description = "Size of each pod's /dev/shm tmpfs, in bytes")
    long shm_size_bytes() default 64L * 1024 * 1024;

    @AttributeDefinition(description = "How long one runc command may take, in seconds")
    long runc_timeout_seconds() default 60;
}
