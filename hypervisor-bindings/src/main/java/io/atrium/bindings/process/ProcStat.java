package io.atrium.bindings.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The fields of {@code /proc/<pid>/stat} (proc(5)) the reaper needs.
 *
 * @param state     R, S, D, Z (zombie), T, ...
 * @param startTime clock ticks after boot; with the pid it names one process across pid reuse
 */
public record ProcStat(int pid, String comm, char state, int ppid, long startTime) {

    public boolean isZombie() {
        return state == 'Z';
    }

    /** Reads the stat of {@code pid}; empty if no such process (already reaped). */
    public static Optional<ProcStat> read(int pid) throws IOException {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(parse(s));
    }

    static ProcStat parse(String s) {
        // comm may hold spaces and ')'; it ends at the last ')'
        int open = s.indexOf('(');
        int close = s.lastIndexOf(')');
        String[] rest = s.substring(close + 2).trim().split(" ");
        return new ProcStat(Integer.parseInt(s.substring(0, open).trim()), s.substring(open + 1, close),
                rest[0].charAt(0), Integer.parseInt(rest[1]), Long.parseLong(rest[19]));
    }
}
