package io.atrium.bindings.cgroup;

import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** File access shared by both versions: writes through write(2) so cgroupfs errnos surface. */
final class CgroupFs {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.:-]+");

    private final Syscalls sys;

    CgroupFs(Syscalls sys) {
        this.sys = sys;
    }

    static List<String> segments(String cgroup) throws ErrnoException {
        if (cgroup == null || cgroup.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL.number(), "cgroup path (empty)", String.valueOf(cgroup));
        }
        List<String> out = new ArrayList<>();
        for (String s : cgroup.split("/", -1)) {
            if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) {
                throw new ErrnoException(Errno.EINVAL.number(), "cgroup path (bad segment '" + s + "')", cgroup);
            }
            out.add(s);
        }
        return out;
    }

    void write(Path file, String value) throws ErrnoException {
        sys.writeFile(file, value);
    }

    static String read(Path file) throws IOException {
        try {
            return Files.readString(file).strip();
        } catch (NoSuchFileException e) {
            throw new ErrnoException(Errno.ENOENT.number(), "read", file.toString());
        }
    }

    static long readLong(Path file) throws IOException {
        return parseLimit(read(file));
    }

    /** "max" (v2) → -1; v1 reports "no limit" as a huge page-rounded number, kept as is. */
    static long parseLimit(String s) {
        return s.equals("max") ? -1 : Long.parseLong(s);
    }

    /** "key value" lines (cpu.stat, memory.stat, memory.events, cpuacct.stat). */
    static Map<String, Long> flatKeyed(String content) {
        Map<String, Long> m = new HashMap<>();
        for (String line : content.split("\n")) {
            String[] kv = line.strip().split("\\s+");
            if (kv.length == 2) {
                try {
                    m.put(kv[0], Long.parseLong(kv[1]));
                } catch (NumberFormatException ignored) {
                    // not a counter
                }
            }
        }
        return m;
    }

    static List<Integer> pids(Path procsFile) throws IOException {
        List<Integer> out = new ArrayList<>();
        for (String l : read(procsFile).split("\n")) {
            if (!l.isBlank()) {
                out.add(Integer.parseInt(l.strip()));
            }
        }
        return out;
    }

    static void sleep(long millis) throws java.io.InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    void mkdir(Path dir) throws ErrnoException {
        sys.mkdir(dir, 0755);
    }

    void rmdir(Path dir) throws ErrnoException {
        sys.rmdir(dir);
    }
}
