package io.atrium.sandboxer.gvisor;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the gVisor sandboxer (PID {@code io.atrium.sandboxer.gvisor}). An empty platform or
 * flags value falls back to the framework properties {@value GvisorSettings#PLATFORM_PROPERTY} and
 * {@value GvisorSettings#FLAGS_PROPERTY} (the {@code [properties]} section of atrium.toml), then to the
 * defaults.
 */
@ObjectClassDefinition(name = "Atrium gVisor sandboxer")
public @interface GvisorConfig {

    @AttributeDefinition(description = "The runsc binary")
    String runsc_binary() default "/usr/bin/runsc";

    @AttributeDefinition(description = "gVisor platform: ptrace (default), systrap or kvm where the installed runsc has it")
    String platform() default "";

    @AttributeDefinition(description = "Extra runsc flags, separated by spaces (e.g. --debug --debug-log=/var/log/runsc/ "
            + "--overlay2=root:memory --file-access=shared)")
    String flags() default "";

    @AttributeDefinition(description = "cgroup (relative to each hierarchy root) that pod cgroups go under when the pod names no parent")
    String cgroup_parent() default "atrium";

    @AttributeDefinition(description = "How long one runsc command may take, in seconds")
    long runsc_timeout_seconds() default 60;
}
