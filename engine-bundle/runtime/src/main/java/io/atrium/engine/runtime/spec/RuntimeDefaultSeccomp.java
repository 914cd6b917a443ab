package io.atrium.engine.runtime.spec;

import io.atrium.oci.spec.Seccomp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The RuntimeDefault seccomp profile: deny with EPERM unless allowed. Ordinary process,
 * file, socket, memory, time and signal calls are allowed; calls that reach the whole machine
 * (kernel modules, clock setting, reboot, mounts, namespaces, tracing, keyrings) are allowed only
 * when the container holds the capability that already governs them, which is how the profile
 * stays harmless for privileged work and tight for everything else.
 */
public final class RuntimeDefaultSeccomp {
    private RuntimeDefaultSeccomp() {}

    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: new namespaces need CAP_SYS_ADMIN. */
    private static final long CLONE_NAMESPACE_FLAGS = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L
            | 0x10000000L | 0x20000000L | 0x40000000L;

    static final List<String> PROCESS = List.of(
            "arch_prctl", "capget", "capset", "clone", "execve", "execveat", "exit", "exit_group", "fork", "vfork",
            "getcpu", "getegid", "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid",
            "getpriority", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid", "gettid",
            "getuid", "ioprio_get", "ioprio_set", "kill", "membarrier", "personality", "prctl", "prlimit64",
            "rseq", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
            "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity",
            "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "setfsgid", "setfsuid",
            "setgid", "setgroups", "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid",
            "setrlimit", "set_robust_list", "setsid", "set_tid_address", "setuid", "tgkill", "tkill", "uname",
            "wait4", "waitid", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "seccomp", "close_range",
            "futex", "futex_waitv", "restart_syscall", "getrandom", "sysinfo", "umask", "times");
    static final List<String> FILES = List.of(
            "access", "chdir", "chmod", "chown", "close", "copy_file_range", "creat", "dup", "dup2", "dup3",
            "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
            "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr",
            "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "getcwd", "getdents", "getdents64", "getxattr",
            "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "ioctl", "lchown",
            "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
            "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "pipe", "pipe2",
            "poll", "ppoll", "pread64", "preadv", "preadv2", "pselect6", "pwrite64", "pwritev", "pwritev2", "read",
            "readahead", "readlink", "readlinkat", "readv", "removexattr", "rename", "renameat", "renameat2",
            "rmdir", "select", "sendfile", "setxattr", "splice", "stat", "statfs", "statx", "symlink", "symlinkat",
            "sync", "sync_file_range", "syncfs", "tee", "truncate", "unlink", "unlinkat", "utime", "utimensat",
            "utimes", "vmsplice", "write", "writev", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait",
            "epoll_pwait2", "epoll_wait", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
            "timerfd_gettime", "timerfd_settime", "memfd_create", "io_setup", "io_destroy", "io_getevents",
            "io_submit", "io_cancel", "io_pgetevents", "io_uring_setup", "io_uring_enter", "io_uring_register",
            "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
            "name_to_handle_at", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self");
    static final List<String> MEMORY = List.of(
            "brk", "madvise", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mprotect", "mremap", "msync",
            "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "get_mempolicy",
            "set_mempolicy", "mbind", "shmat", "shmctl", "shmdt", "shmget", "semctl", "semget", "semop",
            "semtimedop", "msgctl", "msgget", "msgrcv", "msgsnd");
    static final List<String> NETWORK = List.of(
            "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
            "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket",
            "socketpair");
    static final List<String> TIME_AND_SIGNALS = List.of(
            "alarm", "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer", "gettimeofday", "nanosleep",
            "setitimer", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
            "timer_settime", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
            "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack");

    /** Calls allowed only with the capability that already governs them. */
    private static final List<Object[]> BY_CAPABILITY = List.of(
            new Object[] {"CAP_SYS_ADMIN", List.of("bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                    "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                    "quotactl", "setdomainname", "sethostname", "setns", "syslog", "umount2", "unshare",
                    "open_by_handle_at", "add_key", "keyctl", "request_key")},
            new Object[] {"CAP_SYS_BOOT", List.of("reboot", "kexec_load", "kexec_file_load")},
            new Object[] {"CAP_SYS_CHROOT", List.of("chroot")},
            new Object[] {"CAP_SYS_MODULE", List.of("delete_module", "init_module", "finit_module")},
            new Object[] {"CAP_SYS_PACCT", List.of("acct")},
            new Object[] {"CAP_SYS_PTRACE", List.of("kcmp", "process_madvise", "process_vm_readv",
                    "process_vm_writev", "ptrace")},
            new Object[] {"CAP_SYS_RAWIO", List.of("iopl", "ioperm")},
            new Object[] {"CAP_SYS_TIME", List.of("settimeofday", "stime", "clock_settime", "adjtimex",
                    "clock_adjtime")},
            new Object[] {"CAP_SYS_TTY_CONFIG", List.of("vhangup")},
            new Object[] {"CAP_SYS_NICE", List.of("move_pages")},
            new Object[] {"CAP_SYSLOG", List.of("syslog")});

    /** The profile for a container holding {@code capabilities} (full names such as CAP_SYS_ADMIN). */
    public static Seccomp profile(Collection<String> capabilities) {
        boolean sysAdmin = capabilities.contains("CAP_SYS_ADMIN");
        List<String> allowed = new ArrayList<>();
        allowed.addAll(PROCESS);
        allowed.addAll(FILES);
        allowed.addAll(MEMORY);
        allowed.addAll(NETWORK);
        allowed.addAll(TIME_AND_SIGNALS);
        if (!sysAdmin) {
            allowed.remove("clone"); // re-added below with its namespace flags masked out
        }
        for (Object[] group : BY_CAPABILITY) {
            if (capabilities.contains((String) group[0])) {
                @SuppressWarnings("unchecked")
                List<String> names = (List<String>) group[1];
                names.stream().filter(n -> !allowed.contains(n)).forEach(allowed::add);
            }
        }
        List<Seccomp.Syscall> rules = new ArrayList<>();
        rules.add(new Seccomp.Syscall(allowed, "SCMP_ACT_ALLOW", null, null));
        if (!sysAdmin) {
            rules.add(new Seccomp.Syscall(List.of("clone"), "SCMP_ACT_ALLOW", null,
                    List.of(new Seccomp.Arg(0, CLONE_NAMESPACE_FLAGS, 0L, "SCMP_CMP_MASKED_EQ"))));
            // clone3 passes its flags in memory seccomp cannot inspect: ENOSYS makes libc fall back to clone
            rules.add(new Seccomp.Syscall(List.of("clone3"), "SCMP_ACT_ERRNO", ENOSYS, null));
        } else {
            rules.add(new Seccomp.Syscall(List.of("clone3"), "SCMP_ACT_ALLOW", null, null));
        }
        return new Seccomp("SCMP_ACT_ERRNO", EPERM, List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
                null, null, null, rules);
    }
}
