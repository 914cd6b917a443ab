package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.cgroup.CgroupController;
import io.atrium.bindings.libc.MountInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The pod cgroup in every hierarchy. The bindings' controller manages the hierarchies we set limits
 * in; the runtime (runc) also creates the path in the others it knows (devices, blkio, name=systemd...), so removal
 * has to look at every mounted cgroup hierarchy.
 */
public final class CgroupTree {
    private final CgroupController controller;

    public CgroupTree(CgroupController controller) {
        this.controller = controller;
    }

    public CgroupController controller() {
        return controller;
    }

    /** Removes {@code cgroup} and everything below it in every hierarchy; waits for processes to leave. */
    public void removeEverywhere(String cgroup) throws IOException {
        if (controller.exists(cgroup)) {
            controller.delete(cgroup, Duration.ofSeconds(10));
        }
        for (Path dir : everywhere(cgroup)) {
            removeDepthFirst(dir);
        }
    }

    /** The directories of {@code cgroup} that exist, in any cgroup or cgroup2 hierarchy. */
    public List<Path> everywhere(String cgroup) throws IOException {
        List<Path> found = new ArrayList<>();
        for (MountInfo m : MountInfo.current()) {
            if (m.fsType().equals("cgroup") || m.fsType().equals("cgroup2")) {
                Path d = m.mountPoint().resolve(cgroup);
                if (Files.isDirectory(d) && !found.contains(d)) {
                    found.add(d);
                }
            }
        }
        return found;
    }

    private static void removeDepthFirst(Path dir) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path c : children) {
                removeDepthFirst(c);
            }
        } catch (NoSuchFileException e) {
            return;
        }
        try {
            Files.delete(dir); // rmdir(2): a cgroup directory holds only kernel files
        } catch (NoSuchFileException e) {
            // gone already
        }
    }
}
