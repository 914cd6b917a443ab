package io.atrium.engine.images;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** ConfigAdmin configuration of the image store (PID {@value #PID}); every attribute has a default. */
@ObjectClassDefinition(name = "Atrium images", description = "Registries, mirrors and limits of the node's image store")
public @interface ImagesConfig {

    String PID = "io.atrium.images";

    @AttributeDefinition(description = "host=url entries, tried in order before the host; e.g. registry.k8s.io=http://127.0.0.1:5000")
    String[] mirrors() default {};

    @AttributeDefinition(description = "Whether the registry itself is tried after every mirror failed")
    boolean mirror_fallback() default true;

    @AttributeDefinition(description = "Registry hosts (with port) reached over plain HTTP; loopback hosts always are")
    String[] insecure_registries() default {};

    @AttributeDefinition(description = "PEM files of extra certificate authorities for registries")
    String[] ca_files() default {};

    @AttributeDefinition(description = "Layer downloads running at once on the node")
    int max_concurrent_downloads() default 3;

    @AttributeDefinition(description = "Tries per registry request before a transient failure is reported")
    int attempts() default 4;

    @AttributeDefinition(description = "Largest uncompressed layer accepted, in bytes")
    long max_layer_bytes() default 64L << 30;
}
