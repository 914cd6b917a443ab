package io.atrium.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Process table and memory figures read straight from /proc. */
final class ProcMem {

    /** One process as /proc shows it. */
    record Proc(long pid, long ppid, String comm, String cmdline) {
    }

    /** Summed memory of a set of processes, in KiB. */
    record Mem(long rssKb, long pssKb, int processes) {
        Mem plus(Mem o) {
            return new Mem(rssKb + o.rssKb, pssKb + o.pssKb, processes + o.processes);
        }

        static final Mem ZERO = new Mem(0, 0, 0);
    }

    private ProcMem() {
    }

    static Map<Long, Proc> table() {
        Map<Long, Proc> all = new HashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(d.resolve("stat"));
                    // comm is parenthesised and may hold spaces: fields after the last ')' are fixed
                    int open = stat.indexOf('('), close = stat.lastIndexOf(')');
                    String comm = stat.substring(open + 1, close);
                    String[] rest = stat.substring(close + 2).split(" ");
                    String cmd = new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
                    all.put(Long.parseLong(name), new Proc(Long.parseLong(name), Long.parseLong(rest[1]), comm, cmd));
                } catch (IOException | RuntimeException e) {
                    // the process exited while we looked
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return all;
    }

    /** The roots and every descendant of them. */
    static List<Proc> withDescendants(Map<Long, Proc> table, Collection<Long> roots) {
        Map<Long, List<Proc>> children = new HashMap<>();
        table.values().forEach(p -> children.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p));
        List<Proc> out = new ArrayList<>();
        List<Long> todo = new ArrayList<>(roots);
        while (!todo.isEmpty()) {
            long pid = todo.remove(todo.size() - 1);
            Proc p = table.get(pid);
            if (p == null) {
                continue;
            }
            out.add(p);
            children.getOrDefault(pid, List.of()).forEach(c -> todo.add(c.pid()));
        }
        return out;
    }

    /** Rss and Pss of one process from smaps_rollup; zero if it is gone. */
    static Mem of(long pid) {
        long rss = 0, pss = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Rss:")) {
                    rss = kb(line);
                } else if (line.startsWith("Pss:")) {
                    pss = kb(line);
                }
            }
        } catch (IOException e) {
            return Mem.ZERO;
        }
        return new Mem(rss, pss, 1);
    }

    static Mem sum(Collection<Proc> procs, Predicate<Proc> counted) {
        Mem m = Mem.ZERO;
        for (Proc p : procs) {
            if (counted.test(p)) {
                m = m.plus(of(p.pid()));
            }
        }
        return m;
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
