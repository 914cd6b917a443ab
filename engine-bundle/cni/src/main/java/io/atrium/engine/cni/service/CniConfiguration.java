package io.atrium.engine.cni.service;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * ConfigAdmin configuration (PID {@value #PID}). Every attribute left empty (or 0) falls back to
 * the framework property of the same meaning (set under {@code [properties]} in conf/atrium.toml),
 * then to the built-in default.
 */
@ObjectClassDefinition(name = "Atrium CNI", description = "Where the node finds CNI network configs and plugins")
public @interface CniConfiguration {

    String PID = "io.atrium.cni";

    @AttributeDefinition(description = "Directory of CNI network configs; framework property atrium.cni.conf.dir, default /etc/cni/net.d")
    String conf_dir() default "";

    @AttributeDefinition(description = "Directories searched for plugin executables, in order; framework property atrium.cni.bin.dirs "
            + "(comma or colon separated), default /opt/cni/bin,/usr/lib/cni")
    String[] bin_dirs() default {};

    @AttributeDefinition(description = "Longest one plugin call may take, in ms; framework property atrium.cni.timeout.ms, default 30000")
    long timeout_ms() default 0;

    @AttributeDefinition(description = "Pause between retries of a failed DEL, in ms; framework property atrium.cni.del.retry.ms, default 30000")
    long del_retry_ms() default 0;
}
