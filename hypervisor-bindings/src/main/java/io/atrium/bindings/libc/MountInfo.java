package io.atrium.bindings.libc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code /proc/<pid>/mountinfo} (proc(5)).
 *
 * @param optionalFields the propagation tags, e.g. {@code shared:1}, {@code master:2}; empty when private
 */
public record MountInfo(int id, int parentId, String root, Path mountPoint, String options,
                        List<String> optionalFields, String fsType, String source, String superOptions) {

    public boolean isShared() {
        return optionalFields.stream().anyMatch(f -> f.startsWith("shared:"));
    }

    public boolean isSlave() {
        return optionalFields.stream().anyMatch(f -> f.startsWith("master:"));
    }

    public boolean isReadOnly() {
        return options.equals("ro") || options.startsWith("ro,");
    }

    /** The mounts of the calling thread's mount namespace. */
    public static List<MountInfo> current() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/thread-self/mountinfo")));
    }

    public static List<MountInfo> parse(List<String> lines) {
        List<MountInfo> out = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int sep = 6;
            List<String> optional = new ArrayList<>();
            while (!f[sep].equals("-")) {
                optional.add(f[sep]);
                sep++;
            }
            out.add(new MountInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), unescape(f[3]),
                    Path.of(unescape(f[4])), f[5], List.copyOf(optional), f[sep + 1], unescape(f[sep + 2]),
                    f.length > sep + 3 ? f[sep + 3] : ""));
        }
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
