package io.atrium.image.api;

import java.util.List;

/** A container user resolved against the image's {@code /etc/passwd} and {@code /etc/group}. */
public record ResolvedUser(long uid, long gid, List<Long> additionalGids, String name) {

    public ResolvedUser {
        additionalGids = additionalGids == null ? List.of() : List.copyOf(additionalGids);
        name = name == null ? "" : name;
    }
}
