package io.atrium.bindings.libc;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.internal.SyscallNumbers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * mount(2), umount2(2) and pivot_root(2), with the common shapes as named methods.
 *
 * <p>Mounts act on the calling thread's mount namespace, which for every ordinary JVM thread is the
 * node's. pivot_root is only allowed on an {@link IsolatedThread} that has its own mount namespace.
 */
public class Mounts {
    private final LibC libc = LibC.INSTANCE;
    private final Syscalls sys;

    public Mounts(Syscalls sys) {
        this.sys = Objects.requireNonNull(sys);
    }

    /** mount(2) as is. {@code source}, {@code fsType} and {@code data} may be null. */
    public void mount(String source, Path target, String fsType, long flags, String data) throws ErrnoException {
        Objects.requireNonNull(target, "target");
        try {
            libc.mount(source, target.toString(), fsType, new NativeLong(flags), data);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "mount", source, target.toString(), fsType,
                    Syscalls.hex(flags), data);
        }
    }

    /** A bind mount of {@code source} (file or directory) onto {@code target}. */
    public void bind(Path source, Path target) throws ErrnoException {
        mount(source.toString(), target, null, MountFlags.MS_BIND, null);
    }

    /** A recursive bind mount: submounts of {@code source} come along. */
    public void rbind(Path source, Path target) throws ErrnoException {
        mount(source.toString(), target, null, MountFlags.MS_BIND | MountFlags.MS_REC, null);
    }

    /** Changes the propagation type of the mount at {@code target} (and below it if recursive). */
    public void setPropagation(Path target, Propagation p, boolean recursive) throws ErrnoException {
        mount(null, target, null, p.flag | (recursive ? MountFlags.MS_REC : 0), null);
    }

    /** Remounts a bind mount read-only (bind mounts ignore MS_RDONLY on the first mount call). */
    public void remountReadOnly(Path target) throws ErrnoException {
        mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MountFlags.MS_RDONLY, null);
    }

    /** A tmpfs; {@code options} e.g. {@code size=16m,mode=0755}, may be null. */
    public void tmpfs(Path target, String options) throws ErrnoException {
        mount("tmpfs", target, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, options);
    }

    /** procfs, as a container's /proc. */
    public void proc(Path target) throws ErrnoException {
        mount("proc", target, "proc", MountFlags.MS_NOSUID | MountFlags.MS_NODEV | MountFlags.MS_NOEXEC, null);
    }

    /** overlayfs: lower layers top-most first, upper and work on the same filesystem. */
    public void overlay(List<Path> lower, Path upper, Path work, Path target) throws ErrnoException {
        if (lower.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL.number(), "mount(overlay: no lower layers)", target.toString());
        }
        for (Path p : lower) {
            if (p.toString().contains(",") || p.toString().contains(":")) {
                // both are separators in overlay's option string
                throw new ErrnoException(Errno.EINVAL.number(), "mount(overlay: ',' or ':' in a layer path)", p.toString());
            }
        }
        String data = "lowerdir=" + lower.stream().map(Path::toString).collect(Collectors.joining(":"))
                + (upper != null ? ",upperdir=" + upper + ",workdir=" + work : "");
        mount("overlay", target, "overlay", 0, data);
    }

    /** umount2(2). */
    public void unmount(Path target, int flags) throws ErrnoException {
        Objects.requireNonNull(target, "target");
        try {
            libc.umount2(target.toString(), flags);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "umount2", target.toString(), flags);
        }
    }

    /** umount2(target, 0). */
    public void unmount(Path target) throws ErrnoException {
        unmount(target, 0);
    }

    /**
     * pivot_root(2) (syscall 155). Only on an {@link IsolatedThread} in a mount namespace of its own:
     * in the JVM's namespace it would move the root of every process on the node.
     */
    public void pivotRoot(Path newRoot, Path putOld) throws ErrnoException {
        if (!IsolatedThread.isCurrent() || sys.sameNamespaceAsProcess("mnt")) {
            throw new RefusedCallException("pivot_root(" + newRoot + ", " + putOld + ") refused: the calling thread is "
                    + "in the JVM's mount namespace, where pivot_root would change the root of the whole node; call it "
                    + "on an IsolatedThread after unshare(CLONE_NEWNS), or in a helper process");
        }
        try (com.sun.jna.Memory a = cString(newRoot.toString()); com.sun.jna.Memory b = cString(putOld.toString())) {
            libc.syscall(SyscallNumbers.PIVOT_ROOT, com.sun.jna.Pointer.nativeValue(a),
                    com.sun.jna.Pointer.nativeValue(b), 0, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "pivot_root", newRoot.toString(), putOld.toString());
        }
    }

    /** True if {@code path} is the mount point of some mount in the calling thread's namespace. */
    public boolean isMountPoint(Path path) throws IOException {
        Path p = path.toAbsolutePath().normalize();
        return MountInfo.current().stream().anyMatch(m -> m.mountPoint().equals(p));
    }

    private static com.sun.jna.Memory cString(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        com.sun.jna.Memory m = new com.sun.jna.Memory(b.length + 1);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }
}
