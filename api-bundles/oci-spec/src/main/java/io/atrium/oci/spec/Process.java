package io.atrium.oci.spec;

import java.util.List;

/**
 * The container's process.
 *
 * @param user who it runs as (required)
 * @param args argv, first element the executable
 * @param env {@code KEY=value} strings
 * @param cwd absolute working directory inside the container (required)
 * @param oomScoreAdj value written to {@code /proc/<pid>/oom_score_adj}
 */
public record Process(Boolean terminal, ConsoleSize consoleSize, User user, List<String> args, List<String> env,
        String cwd, Capabilities capabilities, List<Rlimit> rlimits, Boolean noNewPrivileges,
        String apparmorProfile, Integer oomScoreAdj, String selinuxLabel) {

    public Process {
        args = Copies.list(args);
        env = Copies.list(env);
        rlimits = Copies.list(rlimits);
    }

    public Process withArgs(List<String> a) {
        return new Process(terminal, consoleSize, user, a, env, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, selinuxLabel);
    }

    public Process withTerminal(Boolean t) {
        return new Process(t, consoleSize, user, args, env, cwd, capabilities, rlimits, noNewPrivileges,
                apparmorProfile, oomScoreAdj, selinuxLabel);
    }

    /** Terminal size in characters. */
    public record ConsoleSize(int height, int width) {
    }

    /**
     * @param uid user id; @param gid primary group id
     * @param umask umask of the init process, absent for the runtime's default
     * @param additionalGids supplementary groups
     */
    public record User(long uid, long gid, Integer umask, List<Long> additionalGids) {
        public User {
            additionalGids = Copies.list(additionalGids);
        }
    }

    /** The five capability sets, each a list of names like {@code CAP_CHOWN}. */
    public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
            List<String> permitted, List<String> ambient) {
        public Capabilities {
            bounding = Copies.list(bounding);
            effective = Copies.list(effective);
            inheritable = Copies.list(inheritable);
            permitted = Copies.list(permitted);
            ambient = Copies.list(ambient);
        }
    }

    /** A POSIX resource limit such as {@code RLIMIT_NOFILE}. */
    public record Rlimit(String type, long hard, long soft) {
    }
}
