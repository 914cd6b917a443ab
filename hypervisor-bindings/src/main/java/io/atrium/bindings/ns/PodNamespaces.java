package io.atrium.bindings.ns;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.FsMagic;
import io.atrium.bindings.libc.IsolatedThread;
import io.atrium.bindings.libc.MountFlags;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.NativeFd;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Creates, pins, enters and releases a pod's network, IPC and UTS namespaces.
 *
 * <p>Pinning bind-mounts each namespace's nsfs file onto {@code <stateDir>/<podId>/<net|ipc|uts>}.
 * Entering happens on an {@link IsolatedThread}: it joins the namespaces, runs the task and is
 * discarded, so no other JVM thread ever changes namespace. A failure half-way unmounts and deletes
 * whatever was created.
 */
public final class PodNamespaces {
    private static final Pattern POD_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final Syscalls sys;
    private final Mounts mounts;
    private final Path stateDir;
    private final PinMethod method;
    private final BeforePin beforePin;

    /** Test seam: runs after the pin files exist and before any namespace is made. */
    @FunctionalInterface
    interface BeforePin {
        void accept(Map<NamespaceType, Path> files) throws IOException;
    }

    public PodNamespaces(Syscalls sys, Mounts mounts, Path stateDir, PinMethod method) {
        this(sys, mounts, stateDir, method, files -> { });
    }

    PodNamespaces(Syscalls sys, Mounts mounts, Path stateDir, PinMethod method, BeforePin beforePin) {
        this.sys = Objects.requireNonNull(sys);
        this.mounts = Objects.requireNonNull(mounts);
        this.stateDir = stateDir.toAbsolutePath().normalize();
        this.method = Objects.requireNonNull(method);
        this.beforePin = beforePin;
    }

    public PinMethod method() {
        return method;
    }

    /** Creates new namespaces of the given types for {@code podId} and pins them. */
    public PinnedNamespaces pin(String podId, Set<NamespaceType> types) throws IOException {
        if (podId == null || !POD_ID.matcher(podId).matches()) {
            throw new IllegalArgumentException("pod id must match " + POD_ID + ": " + podId);
        }
        if (types.isEmpty()) {
            throw new IllegalArgumentException("no namespace types given");
        }
        Set<NamespaceType> kinds = EnumSet.copyOf(types);
        Path dir = stateDir.resolve(podId);
        boolean createdDir = !Files.isDirectory(dir);
        Files.createDirectories(dir);
        Map<NamespaceType, Path> files = new EnumMap<>(NamespaceType.class);
        List<Path> created = new ArrayList<>();
        try {
            for (NamespaceType t : kinds) {
                Path f = dir.resolve(t.procName());
                Files.createFile(f); // fails if a file or directory is already there
                created.add(f);
                files.put(t, f);
            }
            beforePin.accept(files);
            if (method == PinMethod.THREAD) {
                pinFromThread(podId, files);
            } else {
                pinWithTool(files);
            }
            return new PinnedNamespaces(podId, dir, files);
        } catch (IOException | RuntimeException e) {
            cleanup(created, createdDir ? dir : null, e);
            throw e;
        }
    }

    private void pinFromThread(String podId, Map<NamespaceType, Path> files) throws IOException {
        int flags = 0;
        for (NamespaceType t : files.keySet()) {
            flags |= t.cloneFlag();
        }
        int all = flags;
        IsolatedThread.call("atrium-pin-" + podId, () -> {
            sys.unshare(all);
            for (Map.Entry<NamespaceType, Path> e : files.entrySet()) {
                mounts.bind(Path.of("/proc/thread-self/ns", e.getKey().procName()), e.getValue());
            }
            return null;
        });
    }

    private void pinWithTool(Map<NamespaceType, Path> files) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("unshare"));
        for (Map.Entry<NamespaceType, Path> e : files.entrySet()) {
            cmd.add(e.getKey().unshareOption() + "=" + e.getValue());
        }
        cmd.add("true");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("unshare(1) timed out: " + cmd);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted running " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited with " + p.exitValue() + ": " + out);
        }
    }

    /** Reattaches to namespaces pinned earlier (e.g. before a JVM restart); empty if none are pinned. */
    public Optional<PinnedNamespaces> recover(String podId) throws IOException {
        Path dir = stateDir.resolve(podId);
        Map<NamespaceType, Path> files = new EnumMap<>(NamespaceType.class);
        for (NamespaceType t : NamespaceType.values()) {
            Path f = dir.resolve(t.procName());
            if (Files.exists(f) && sys.statfs(f).type() == FsMagic.NSFS) {
                files.put(t, f);
            }
        }
        return files.isEmpty() ? Optional.empty() : Optional.of(new PinnedNamespaces(podId, dir, files));
    }

    /**
     * Runs {@code task} inside the pod's pinned namespaces, on a thread that is discarded afterwards.
     * Fails with EINVAL if a pin file no longer holds a namespace.
     */
    public <T> T run(PinnedNamespaces ns, IsolatedThread.Task<T> task) throws IOException {
        return IsolatedThread.call("atrium-ns-" + ns.podId(), () -> {
            List<NativeFd> targets = new ArrayList<>();
            List<NativeFd> originals = new ArrayList<>();
            try {
                for (Map.Entry<NamespaceType, Path> e : ns.files().entrySet()) {
                    if (sys.statfs(e.getValue()).type() != FsMagic.NSFS) {
                        throw new ErrnoException(Errno.EINVAL.number(), "setns(pin is not a namespace)",
                                e.getValue().toString());
                    }
                    originals.add(sys.openThreadNamespace(e.getKey().procName()));
                    targets.add(sys.open(e.getValue(), FileFlags.O_RDONLY));
                }
                int i = 0;
                for (NamespaceType t : ns.files().keySet()) {
                    sys.setns(targets.get(i++), t.cloneFlag());
                }
                try {
                    return task.run();
                } finally {
                    // the thread is discarded anyway; going back keeps its exit path in the JVM's namespaces
                    int j = 0;
                    for (NamespaceType t : ns.files().keySet()) {
                        sys.setns(originals.get(j++), t.cloneFlag());
                    }
                }
            } finally {
                for (NativeFd fd : targets) {
                    fd.close();
                }
                for (NativeFd fd : originals) {
                    fd.close();
                }
            }
        });
    }

    /** Sets the hostname inside the pod's UTS namespace. */
    public void setHostname(PinnedNamespaces ns, String hostname) throws IOException {
        ns.path(NamespaceType.UTS);
        run(ns, () -> {
            sys.sethostname(hostname);
            return null;
        });
    }

    /**
     * Unpins every namespace of the pod and deletes its files and directory. The namespaces
     * themselves go away when the last process in them exits. Idempotent.
     */
    public void release(PinnedNamespaces ns) throws IOException {
        List<Path> files = new ArrayList<>(ns.files().values());
        IOException first = null;
        for (Path f : files) {
            try {
                unmountIfPinned(f);
                Files.deleteIfExists(f);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        try {
            Files.deleteIfExists(ns.dir());
        } catch (DirectoryNotEmptyException e) {
            // something else lives there; leave it
        }
        if (first != null) {
            throw first;
        }
    }

    private void unmountIfPinned(Path f) throws IOException {
        try {
            // a pin may have been stacked more than once (e.g. a retried pin); peel every layer
            while (sys.statfs(f).type() == FsMagic.NSFS) {
                mounts.unmount(f, MountFlags.MNT_DETACH);
            }
        } catch (ErrnoException e) {
            if (!e.is(Errno.ENOENT)) {
                throw e;
            }
        }
    }

    private void cleanup(List<Path> created, Path dir, Exception cause) {
        for (Path f : created) {
            try {
                unmountIfPinned(f);
                Files.deleteIfExists(f);
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        if (dir != null) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                // left as found
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
