package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.cgroup.CgroupController;
import io.atrium.bindings.cgroup.CgroupStats;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxUpdate;
import io.atrium.bindings.libc.MountInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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

    /** A pod's usage as its pod cgroup counts it; NOT_FOUND when the cgroup cannot be read. */
    public SandboxMetrics podMetrics(String sandboxId, String cgroup) {
        try {
            CgroupStats s = controller.stats(cgroup);
            return new SandboxMetrics(Instant.now(), s.cpu().usageNanos(), s.memory().usage(),
                    s.memory().workingSet(), s.pids().current());
        } catch (IOException e) {
            throw new SandboxException(Reason.NOT_FOUND, "no metrics for pod " + sandboxId + ": " + e.getMessage(), e);
        }
    }

    /** Applies a pod update's resources to its pod cgroup; INVALID_ARGUMENT when the kernel refuses them. */
    public void updatePod(String sandboxId, String cgroup, SandboxUpdate update) {
        if (update.resources() == null) {
            return;
        }
        try {
            controller.apply(cgroup, ResourcesJson.toCgroup(update.resources()));
        } catch (IOException e) {
            throw new SandboxException(Reason.INVALID_ARGUMENT, "cannot apply resources to pod " + sandboxId + ": "
                    + e.getMessage(), e);
        }
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
