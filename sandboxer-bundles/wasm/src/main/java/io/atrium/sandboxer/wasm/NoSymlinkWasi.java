package io.atrium.sandboxer.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import java.util.Map;

/**
 * WASI host functions with symlink following switched off.
 *
 * <p>Chicory follows a symlink by reading its target and opening that as a host path, which would
 * let a module (or an image) reach any file of the node. The container's mounts are
 * {@code nosymfollow}, which stops the kernel at symlinks in the middle of a path; clearing
 * {@code LOOKUP_SYMLINK_FOLLOW} here stops Chicory at the last component, where it then answers
 * ELOOP. Wasm containers therefore cannot use symlinks — documented in docs/wasm.md.
 */
final class NoSymlinkWasi {
    private static final long SYMLINK_FOLLOW = 1;
    /** WASI calls taking lookup flags, and which argument holds them. */
    private static final Map<String, Integer> LOOKUP_FLAGS_ARG = Map.of(
            "path_open", 1, "path_filestat_get", 1, "path_filestat_set_times", 1, "path_link", 1);

    private NoSymlinkWasi() {
    }

    static HostFunction[] confine(HostFunction[] functions) {
        HostFunction[] out = functions.clone();
        for (int i = 0; i < out.length; i++) {
            HostFunction f = out[i];
            Integer arg = LOOKUP_FLAGS_ARG.get(f.name());
            if (arg != null) {
                var original = f.handle();
                int index = arg;
                out[i] = new HostFunction(f.module(), f.name(), f.functionType(), (instance, args) -> {
                    args[index] &= ~SYMLINK_FOLLOW;
                    return original.apply(instance, args);
                });
            }
        }
        return out;
    }
}
