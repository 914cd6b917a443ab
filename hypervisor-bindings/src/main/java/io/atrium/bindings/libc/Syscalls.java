package io.atrium.bindings.libc;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.internal.SyscallNumbers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Process, namespace and filesystem syscalls with errno carried into {@link ErrnoException}.
 *
 * <p>Stateless; create one and hand it to the objects that need it. Calls that would move the whole
 * JVM (or a thread other code will reuse) into another namespace are refused with a
 * {@link RefusedCallException} before they reach the kernel.
 */
public class Syscalls {
    /** Flags refused everywhere: they act on state all JVM threads share, or fail in a multithreaded process. */
    private static final int NEVER = Sched.CLONE_NEWUSER | Sched.CLONE_FILES | Sched.CLONE_SYSVSEM;
    private static final int PER_THREAD = Sched.CLONE_NEWNET | Sched.CLONE_NEWIPC | Sched.CLONE_NEWUTS
            | Sched.CLONE_NEWCGROUP | Sched.CLONE_NEWPID | Sched.CLONE_NEWTIME | Sched.CLONE_NEWNS | Sched.CLONE_FS;

    private final LibC libc;

    public Syscalls() {
        this.libc = LibC.INSTANCE;
    }

    // --- namespaces -------------------------------------------------------------------------

    /**
     * unshare(2) for the calling thread. Only on an {@link IsolatedThread}, and never with
     * CLONE_NEWUSER, CLONE_FILES or CLONE_SYSVSEM.
     */
    public void unshare(int flags) throws ErrnoException {
        checkNamespaceFlags("unshare", flags);
        try {
            libc.unshare(flags);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "unshare", hex(flags));
        }
    }

    /** setns(2) for the calling thread; only on an {@link IsolatedThread}, never into a user namespace. */
    public void setns(NativeFd nsFd, int nstype) throws ErrnoException {
        Objects.requireNonNull(nsFd, "nsFd");
        checkNamespaceFlags("setns", nstype);
        if (!IsolatedThread.isCurrent()) {
            throw refusedOffThread("setns", nstype);
        }
        try {
            libc.setns(nsFd.fd(), nstype);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "setns", nsFd.fd(), hex(nstype));
        }
    }

    private static void checkNamespaceFlags(String call, int flags) {
        if ((flags & NEVER) != 0) {
            throw new RefusedCallException(call + "(" + hex(flags) + ") refused: CLONE_NEWUSER fails (EINVAL) in a "
                    + "multithreaded process, and CLONE_FILES/CLONE_SYSVSEM would split state the JVM shares across "
                    + "threads; do this in a helper process (util-linux unshare/nsenter, runc)");
        }
        if ((flags & PER_THREAD) != 0 && !IsolatedThread.isCurrent()) {
            throw refusedOffThread(call, flags);
        }
    }

    private static RefusedCallException refusedOffThread(String call, int flags) {
        return new RefusedCallException(call + "(" + hex(flags) + ") refused on thread '"
                + Thread.currentThread().getName() + "': namespaces are per thread, and this thread is shared with "
                + "other JVM code; run it through IsolatedThread.call so the thread is discarded afterwards");
    }

    /** Opens {@code /proc/thread-self/ns/<name>} (the calling thread's namespace of that kind). */
    public NativeFd openThreadNamespace(String name) throws ErrnoException {
        return open(Path.of("/proc/thread-self/ns", name), FileFlags.O_RDONLY | FileFlags.O_CLOEXEC);
    }

    // --- files --------------------------------------------------------------------------------

    /** open(2) with O_CLOEXEC added; mode 0 (no O_CREAT support needed here). */
    public NativeFd open(Path path, int flags) throws ErrnoException {
        Objects.requireNonNull(path, "path");
        int f = flags | FileFlags.O_CLOEXEC;
        try {
            return new NativeFd(libc.open(path.toString(), f, 0600), path.toString());
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "open", path.toString(), "0" + Integer.toOctalString(f));
        }
    }

    /**
     * Writes a whole string to a file with one write(2), the way kernel control files (cgroupfs,
     * procfs) expect, so their errno (EINVAL, EBUSY, ...) reaches the caller.
     */
    public void writeFile(Path path, String value) throws ErrnoException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        try (NativeFd fd = open(path, FileFlags.O_WRONLY)) {
            Memory buf = new Memory(Math.max(1, bytes.length));
            buf.write(0, bytes, 0, bytes.length);
            long n;
            try {
                n = libc.write(fd.fd(), buf, bytes.length);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "write", path.toString(), value);
            }
            if (n != bytes.length) {
                throw new ErrnoException(Errno.EIO.number(), "write(short: " + n + ")", path.toString(), value);
            }
        }
    }

    /** mkdir(2). */
    public void mkdir(Path path, int mode) throws ErrnoException {
        try {
            libc.mkdir(path.toString(), mode);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "mkdir", path.toString(), "0" + Integer.toOctalString(mode));
        }
    }

    /** rmdir(2); on cgroupfs EBUSY means tasks or child cgroups remain. */
    public void rmdir(Path path) throws ErrnoException {
        try {
            libc.rmdir(path.toString());
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "rmdir", path.toString());
        }
    }

    /** statfs(2). */
    public StatFs statfs(Path path) throws ErrnoException {
        Objects.requireNonNull(path, "path");
        Memory buf = new Memory(StatFs.SIZE);
        buf.clear();
        try {
            libc.statfs(path.toString(), buf);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "statfs", path.toString());
        }
        // offsets from struct statfs on x86_64 (bits/statfs.h)
        return new StatFs(buf.getLong(0), buf.getLong(8), buf.getLong(16), buf.getLong(24), buf.getLong(32),
                buf.getLong(40), buf.getLong(48), buf.getLong(64), buf.getLong(72), buf.getLong(80));
    }

    // --- processes ----------------------------------------------------------------------------

    public int getpid() {
        return libc.getpid();
    }

    /** gettid(2): the calling thread's kernel id. */
    public int gettid() {
        return libc.gettid();
    }

    /** kill(2). Refuses pids 0 and -1 (process group / everything), which no caller here means. */
    public void kill(int pid, int signal) throws ErrnoException {
        if (pid <= 0) {
            throw new ErrnoException(Errno.EINVAL.number(), "kill", pid, signal);
        }
        try {
            libc.kill(pid, signal);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "kill", pid, signal);
        }
    }

    /** pidfd_open(2) (syscall 434): a descriptor for {@code pid} (which may be a zombie). */
    public PidFd pidfdOpen(int pid) throws ErrnoException {
        if (pid <= 0) {
            // pidfd_open rejects these itself, but -1 is also "all processes" elsewhere; fail the same way
            throw new ErrnoException(Errno.EINVAL.number(), "pidfd_open", pid, 0);
        }
        try {
            long fd = libc.syscall(SyscallNumbers.PIDFD_OPEN, pid, 0, 0, 0);
            return new PidFd((int) fd, pid);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "pidfd_open", pid, 0);
        }
    }

    /** pidfd_send_signal(2) (syscall 424). */
    public void pidfdSendSignal(PidFd pidfd, int signal) throws ErrnoException {
        try {
            libc.syscall(SyscallNumbers.PIDFD_SEND_SIGNAL, pidfd.fd(), signal, 0, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "pidfd_send_signal", pidfd, signal);
        }
    }

    /**
     * waitid(2) for one child, by pid ({@code Wait.P_PID}) or pidfd ({@code Wait.P_PIDFD}).
     * {@code P_ALL} is refused: it would reap children that java.lang.Process is waiting for.
     *
     * @return the child's state, or empty when {@code WNOHANG} was given and nothing was waitable
     */
    public Optional<ChildState> waitid(int idType, int id, int options) throws ErrnoException {
        if (idType == Wait.P_ALL || idType == Wait.P_PGID) {
            throw new RefusedCallException("waitid(idtype=" + idType + ") refused: waiting for any child would steal "
                    + "exits from java.lang.Process; wait for a pid (P_PID) or pidfd (P_PIDFD)");
        }
        Memory info = new Memory(Wait.SIGINFO_SIZE);
        info.clear();
        try {
            libc.waitid(idType, id, info, options);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "waitid", idType, id, hex(options));
        }
        int pid = info.getInt(Wait.SI_PID);
        if (pid == 0) {
            return Optional.empty();
        }
        return Optional.of(new ChildState(pid, info.getInt(Wait.SI_UID), info.getInt(Wait.SI_CODE),
                info.getInt(Wait.SI_STATUS)));
    }

    /** prctl(2) with up to four integer arguments; returns the call's result. */
    public int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws ErrnoException {
        try {
            return libc.prctl(option, arg2, arg3, arg4, arg5);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "prctl", option, arg2, arg3, arg4, arg5);
        }
    }

    /** PR_SET_CHILD_SUBREAPER: process-wide; orphaned descendants are reparented to this JVM. */
    public void setChildSubreaper(boolean on) throws ErrnoException {
        prctl(Prctl.PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
    }

    public boolean isChildSubreaper() throws ErrnoException {
        Memory out = new Memory(4);
        out.setInt(0, 0);
        try {
            libc.prctl(Prctl.PR_GET_CHILD_SUBREAPER, com.sun.jna.Pointer.nativeValue(out), 0, 0, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "prctl", "PR_GET_CHILD_SUBREAPER");
        }
        return out.getInt(0) != 0;
    }

    /**
     * PR_SET_PDEATHSIG for the calling thread: the signal it gets when the thread that created it
     * exits. Meaningful in helpers; in the JVM it is per thread.
     */
    public void setParentDeathSignal(int signal) throws ErrnoException {
        if (signal < 0 || signal > 64) {
            throw new ErrnoException(Errno.EINVAL.number(), "prctl", "PR_SET_PDEATHSIG", signal);
        }
        prctl(Prctl.PR_SET_PDEATHSIG, signal, 0, 0, 0);
    }

    public int parentDeathSignal() throws ErrnoException {
        Memory out = new Memory(4);
        out.setInt(0, 0);
        try {
            libc.prctl(Prctl.PR_GET_PDEATHSIG, com.sun.jna.Pointer.nativeValue(out), 0, 0, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "prctl", "PR_GET_PDEATHSIG");
        }
        return out.getInt(0);
    }

    // --- UTS ----------------------------------------------------------------------------------

    /**
     * sethostname(2). Refused unless the calling thread is in a UTS namespace of its own: in the
     * JVM's namespace it would rename the node.
     */
    public void sethostname(String name) throws ErrnoException {
        Objects.requireNonNull(name, "name");
        if (sameNamespaceAsProcess("uts")) {
            throw new RefusedCallException("sethostname(\"" + name + "\") refused: the calling thread is in the JVM's "
                    + "UTS namespace and would rename the host; enter a pod UTS namespace first");
        }
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        try {
            libc.sethostname(b, b.length);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "sethostname", name, b.length);
        }
    }

    public String gethostname() throws ErrnoException {
        byte[] b = new byte[256];
        try {
            libc.gethostname(b, b.length);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "gethostname");
        }
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** True if the calling thread shares namespace {@code name} with the JVM's main thread. */
    public boolean sameNamespaceAsProcess(String name) {
        try {
            String mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns", name)).toString();
            String process = Files.readSymbolicLink(Path.of("/proc", Integer.toString(getpid()), "ns", name)).toString();
            return mine.equals(process);
        } catch (java.io.IOException e) {
            return true; // cannot tell: be conservative
        }
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
