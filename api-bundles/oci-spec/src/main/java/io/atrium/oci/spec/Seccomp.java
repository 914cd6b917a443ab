package io.atrium.oci.spec;

import java.util.List;

/**
 * A seccomp filter: {@code defaultAction} for syscalls no rule matches.
 *
 * @param defaultAction e.g. {@code SCMP_ACT_ERRNO}
 * @param defaultErrnoRet errno returned by the default action, absent for EPERM
 * @param architectures e.g. {@code SCMP_ARCH_X86_64}
 * @param flags e.g. {@code SECCOMP_FILTER_FLAG_LOG}
 */
public record Seccomp(String defaultAction, Integer defaultErrnoRet, List<String> architectures, List<String> flags,
        String listenerPath, String listenerMetadata, List<Syscall> syscalls) {

    public Seccomp {
        architectures = Copies.list(architectures);
        flags = Copies.list(flags);
        syscalls = Copies.list(syscalls);
    }

    /** A rule: {@code action} for these syscall {@code names} when every arg condition holds. */
    public record Syscall(List<String> names, String action, Integer errnoRet, List<Arg> args) {
        public Syscall {
            names = Copies.list(names);
            args = Copies.list(args);
        }
    }

    /** Compares syscall argument {@code index} with {@code value} using {@code op}, e.g. {@code SCMP_CMP_MASKED_EQ}. */
    public record Arg(int index, long value, Long valueTwo, String op) {
    }
}
