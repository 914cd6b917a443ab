package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.libc.MountInfo;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Removal of a sandboxer's own directory trees. */
public final class Trees {
    private static final Logger LOG = Logger.getLogger(Trees.class.getName());

    private Trees() {
    }

    /** Deletes a directory tree of ours; refuses while anything is mounted below it (an image would go too). */
    public static void deleteTree(Path p) {
        try {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path abs = p.toAbsolutePath().normalize();
            var mounted = MountInfo.current().stream()
                    .filter(m -> m.mountPoint().startsWith(abs)).map(m -> m.mountPoint().toString()).toList();
            if (!mounted.isEmpty()) {
                throw new SandboxException(Reason.INTERNAL, "refusing to delete " + p + ": still mounted there: " + mounted);
            }
            try (var walk = Files.walk(p)) {
                for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(x);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete " + p, e);
        }
    }
}
