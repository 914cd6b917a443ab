package io.atrium.sandboxer.wasm;

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
 * A container's filesystem as its module sees it: the image snapshot mounted at
 * {@code <dir>/rootfs} (preopened as {@code /}) with every CRI bind mount at its path inside it.
 *
 * <p>The kernel enforces the rules, not Java code: read-only mounts are read-only bind mounts, and
 * every mount carries {@code nosymfollow}, so no path the module opens can leave the container
 * through a symlink (Chicory would otherwise resolve symlink targets against the host's root).
 */
final class ContainerFs {
    /** mount(2) flag since Linux 5.10: symlinks on this mount are never followed. */
    static final long MS_NOSYMFOLLOW = 256;
    private static final Map<String, Long> FLAGS = Map.of(
            "ro", MountFlags.MS_RDONLY, "nosuid", MountFlags.MS_NOSUID, "nodev", MountFlags.MS_NODEV,
            "noexec", MountFlags.MS_NOEXEC);
    private static final List<String> IGNORED = List.of("rw", "suid", "dev", "exec", "defaults", "bind", "rbind");

    private final Mounts mounts;

    ContainerFs(Mounts mounts) {
        this.mounts = mounts;
    }

    /**
     * Mounts the rootfs and the bind mounts under {@code dir}; returns the root. On failure
     * everything mounted so far is taken down again.
     */
    Path mount(String containerId, Path dir, List<Mount> rootfs, ContainerSpec spec) {
        Path root = dir.resolve("rootfs");
        try {
            Files.createDirectories(root);
            if (rootfs.isEmpty()) {
                if (spec.rootPath() == null || spec.rootPath().isBlank()) {
                    throw SandboxException.invalid("container " + containerId + ": neither rootfs mounts nor a root path");
                }
                bind(Path.of(spec.rootPath()), root, false);
            } else {
                for (Mount m : rootfs) {
                    mountRootfsLayer(containerId, m, root);
                }
            }
            for (ContainerSpec.BindMount b : spec.mounts()) {
                bindInto(containerId, root, b);
            }
            if (spec.readonlyRootfs()) {
                mounts.mount(null, root, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MountFlags.MS_RDONLY
                        | MS_NOSYMFOLLOW, null);
            }
            return root;
        } catch (ErrnoException e) {
            unmountQuietly(dir, e);
            throw new SandboxException(Reason.INVALID_ARGUMENT, "container " + containerId + ": cannot mount its filesystem: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            unmountQuietly(dir, e);
            throw new SandboxException(Reason.INTERNAL, "container " + containerId + ": cannot prepare " + root + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            unmountQuietly(dir, e);
            throw e;
        }
    }

    private void mountRootfsLayer(String containerId, Mount m, Path root) throws ErrnoException {
        if (m.target() != null && !m.target().isBlank() && !m.target().equals("/")) {
            throw SandboxException.invalid("container " + containerId + ": rootfs mount with a target is not supported: "
                    + m.target());
        }
        long flags = MS_NOSYMFOLLOW;
        List<String> data = new ArrayList<>();
        for (String o : m.options()) {
            if (FLAGS.containsKey(o)) {
                flags |= FLAGS.get(o);
            } else if (!IGNORED.contains(o)) {
                data.add(o);
            }
        }
        if ("bind".equals(m.type()) || m.options().contains("bind") || m.options().contains("rbind")) {
            bind(Path.of(m.source()), root, (flags & MountFlags.MS_RDONLY) != 0);
        } else {
            mounts.mount(m.source(), root, m.type(), flags, data.isEmpty() ? null : String.join(",", data));
        }
    }

    private void bindInto(String containerId, Path root, ContainerSpec.BindMount b) throws IOException {
        Path source = Path.of(b.source());
        if (!Files.exists(source)) {
            throw SandboxException.invalid("container " + containerId + ": mount source " + source + " does not exist");
        }
        Path at = root.resolve(b.destination().replaceFirst("^/+", "")).normalize();
        if (!at.startsWith(root) || at.equals(root)) {
            throw SandboxException.invalid("container " + containerId + ": mount destination " + b.destination()
                    + " is not below /");
        }
        // created through the nosymfollow rootfs, so a symlink in the image cannot redirect it
        if (Files.isDirectory(source)) {
            Files.createDirectories(at);
        } else {
            Files.createDirectories(at.getParent());
            if (!Files.exists(at)) {
                Files.createFile(at);
            }
        }
        bind(source, at, b.readOnly());
    }

    private void bind(Path source, Path target, boolean readOnly) throws ErrnoException {
        mounts.mount(source.toString(), target, null, MountFlags.MS_BIND, null);
        // a bind mount takes its flags only on a remount
        mounts.mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MS_NOSYMFOLLOW
                | (readOnly ? MountFlags.MS_RDONLY : 0), null);
    }

    /** Unmounts everything at and below {@code dir}, deepest first, and removes the directory. Idempotent. */
    void unmount(Path dir) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        List<MountInfo> below = MountInfo.current().stream().filter(m -> m.mountPoint().startsWith(d)).toList();
        for (int i = below.size() - 1; i >= 0; i--) {
            try {
                mounts.unmount(below.get(i).mountPoint(), MountFlags.MNT_DETACH);
            } catch (ErrnoException e) {
                if (!e.is(Errno.EINVAL) && !e.is(Errno.ENOENT)) {
                    throw e;
                }
            }
        }
        // never walk into a mount that is still there: it would delete the host's data
        if (MountInfo.current().stream().anyMatch(m -> m.mountPoint().startsWith(d))) {
            throw new IOException("mounts remain below " + d + " after unmounting; leaving it in place");
        }
        deleteTree(d);
    }

    private static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (var walk = Files.walk(d)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void unmountQuietly(Path dir, Exception cause) {
        try {
            unmount(dir);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
