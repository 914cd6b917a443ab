package io.atrium.sandboxer.wasm;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@code io.atrium.sandboxer.wasm}. */
@ObjectClassDefinition(name = "Atrium Wasm sandboxer")
public @interface WasmConfig {

    @AttributeDefinition(description = "compiler: Chicory's runtime compiler turns each module into JVM bytecode once; "
            + "interpreter: Chicory's interpreter (starts faster, runs far slower; see docs/benchmarks.md)")
    String execution() default "compiler";

    @AttributeDefinition(description = "compiled modules kept in memory, least recently used dropped first")
    int module_cache_entries() default 64;

    @AttributeDefinition(description = "stack of each container's thread, KiB (deep Wasm recursion needs a deep JVM stack)")
    int thread_stack_kib() default 8192;

    @AttributeDefinition(description = "how long deactivation waits for running modules to end, ms")
    long stop_wait_ms() default 5000;

    @AttributeDefinition(description = "fsync pod records (they only matter across bundle updates; see docs/wasm.md)")
    boolean fsync() default false;
}
