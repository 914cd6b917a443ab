package io.atrium.engine.images;

import io.atrium.image.api.ImageException;
import io.atrium.image.api.ResolvedUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves an image's {@code User} ({@code name}, {@code uid}, {@code name:group}, {@code uid:gid})
 * against its {@code /etc/passwd} and {@code /etc/group}, read from the topmost layer that has
 * them, as runc's user lookup does: numbers need no entry, names do.
 */
final class UserResolver {

    private final List<Path> layersTopFirst;

    UserResolver(List<Path> layersTopFirst) {
        this.layersTopFirst = layersTopFirst;
    }

    ResolvedUser resolve(String spec) {
        String user = spec == null || spec.isBlank() ? "0" : spec.trim();
        String group = null;
        int colon = user.indexOf(':');
        if (colon >= 0) {
            group = user.substring(colon + 1);
            user = user.substring(0, colon);
        }
        List<String[]> passwd = read("etc/passwd");
        List<String[]> groups = read("etc/group");
        long uid;
        long gid = 0;
        String name = "";
        String[] entry = find(passwd, user, 2);
        if (entry != null) {
            uid = parse(entry[2], "uid in /etc/passwd");
            gid = entry.length > 3 ? parse(entry[3], "gid in /etc/passwd") : 0;
            name = entry[0];
        } else if (user.matches("[0-9]+")) {
            uid = Long.parseLong(user);
        } else {
            throw ImageException.notFound("user '" + user + "' is not in the image's /etc/passwd");
        }
        if (group != null && !group.isEmpty()) {
            String[] g = find(groups, group, 2);
            if (g != null) {
                gid = parse(g[2], "gid in /etc/group");
            } else if (group.matches("[0-9]+")) {
                gid = Long.parseLong(group);
            } else {
                throw ImageException.notFound("group '" + group + "' is not in the image's /etc/group");
            }
        }
        List<Long> extra = new ArrayList<>();
        if (!name.isEmpty()) {
            for (String[] g : groups) {
                if (g.length > 3 && List.of(g[3].split(",")).contains(name)) {
                    long id = parse(g[2], "gid in /etc/group");
                    if (id != gid && !extra.contains(id)) {
                        extra.add(id);
                    }
                }
            }
        }
        return new ResolvedUser(uid, gid, extra, name);
    }

    /** Entry whose name (field 0) or, for a number, whose id field equals {@code key}. */
    private static String[] find(List<String[]> entries, String key, int idField) {
        for (String[] e : entries) {
            if (e[0].equals(key)) {
                return e;
            }
        }
        if (key.matches("[0-9]+")) {
            for (String[] e : entries) {
                if (e.length > idField && e[idField].equals(key)) {
                    return e;
                }
            }
        }
        return null;
    }

    private List<String[]> read(String relative) {
        for (Path layer : layersTopFirst) {
            Path p = layer.resolve(relative);
            try {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    List<String[]> out = new ArrayList<>();
                    for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                        if (!line.isBlank() && !line.startsWith("#")) {
                            out.add(line.split(":", -1));
                        }
                    }
                    return out;
                }
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    return List.of(); // a whiteout (or something odd) hides lower copies
                }
            } catch (IOException e) {
                throw new ImageException(ImageException.Reason.INTERNAL, "reading /" + relative + " of the image failed: " + e.getMessage(), e);
            }
        }
        return List.of();
    }

    private static long parse(String s, String what) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw ImageException.invalid("invalid " + what + ": '" + s + "'");
        }
    }
}
