package io.atrium.sandboxer.ociruntime;

import java.nio.file.Path;

/** Where a container's (or exec's) standard streams go for the runtime CLI: paths of FIFOs, files or /dev/null. */
public record StdioPaths(Path stdin, Path stdout, Path stderr) {
    public static final Path DEV_NULL = Path.of("/dev/null");
    public static final StdioPaths NULL = new StdioPaths(DEV_NULL, DEV_NULL, DEV_NULL);
}
