package io.atrium.sandboxer.ociruntime;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.MountFlags;
import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Mounts;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mounts a container's root filesystem (the image snapshotter's mounts, usually one overlay) onto
 * {@code <bundle>/rootfs} and takes it down again, peeling every layer.
 */
public final class RootfsMounts {
    /** mount(8) option words that are flags, not filesystem data. */
    private static final Map<String, Long> FLAGS = Map.of(
            "ro", MountFlags.MS_RDONLY, "nosuid", MountFlags.MS_NOSUID, "nodev", MountFlags.MS_NODEV,
            "noexec", MountFlags.MS_NOEXEC, "bind", MountFlags.MS_BIND, "rbind", MountFlags.MS_BIND | MountFlags.MS_REC);
    private static final List<String> NO_OPS = List.of("rw", "suid", "dev", "exec", "defaults");

    private final Mounts mounts;

    public RootfsMounts(Mounts mounts) {
        this.mounts = mounts;
    }

    /** Mounts every entry in order onto {@code rootfs}; on failure unmounts what it mounted and rethrows. */
    public void mount(String containerId, List<Mount> rootfs, Path target) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot create " + target + ": " + e.getMessage(), e);
        }
        int done = 0;
        try {
            for (Mount m : rootfs) {
                Path at = m.target() == null || m.target().isBlank() || m.target().equals("/")
                        ? target : target.resolve(m.target().replaceFirst("^/+", "")).normalize();
                if (!at.startsWith(target)) {
                    throw SandboxException.invalid("container " + containerId + ": rootfs mount target escapes the rootfs: "
                            + m.target());
                }
                long flags = 0;
                List<String> data = new ArrayList<>();
                for (String o : m.options()) {
                    if (FLAGS.containsKey(o)) {
                        flags |= FLAGS.get(o);
                    } else if (!NO_OPS.contains(o)) {
                        data.add(o);
                    }
                }
                String type = "bind".equals(m.type()) ? null : m.type();
                if (type == null) {
                    flags |= MountFlags.MS_BIND;
                }
                mounts.mount(m.source(), at, type, flags, data.isEmpty() ? null : String.join(",", data));
                done++;
                if (type == null && (flags & MountFlags.MS_RDONLY) != 0) {
                    mounts.remountReadOnly(at); // a bind mount ignores MS_RDONLY the first time
                }
            }
        } catch (ErrnoException e) {
            unmountQuietly(target, e);
            throw new SandboxException(Reason.INVALID_ARGUMENT, "container " + containerId + ": cannot mount its rootfs "
                    + "(mount " + (done + 1) + " of " + rootfs.size() + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            unmountQuietly(target, e);
            throw e;
        }
    }

    /** Unmounts everything at and below {@code target}. Idempotent. */
    public void unmount(Path target) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        while (true) {
            List<MountInfo> below = MountInfo.current().stream()
                    .filter(m -> m.mountPoint().startsWith(t)).toList();
            if (below.isEmpty()) {
                return;
            }
            // deepest (and most recently stacked) first
            MountInfo last = below.get(below.size() - 1);
            try {
                mounts.unmount(last.mountPoint(), MountFlags.MNT_DETACH);
            } catch (ErrnoException e) {
                if (!e.is(Errno.EINVAL) && !e.is(Errno.ENOENT)) {
                    throw e;
                }
                return;
            }
        }
    }

    private void unmountQuietly(Path target, Exception cause) {
        try {
            unmount(target);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
