package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxSpec;
import java.util.regex.Pattern;

/** How an OCI-runtime sandboxer names a pod's pieces from its spec: id check, cgroup path, hostname. */
public final class PodNames {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private PodNames() {
    }

    /** Refuses an id that cannot be a runtime container id, a file name and a cgroup name at once. */
    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw SandboxException.invalid("sandbox id must match " + ID + ": " + id);
        }
    }

    /** The pod cgroup: {@code <parent>/<id>}, the parent being the spec's or else {@code defaultParent}. */
    public static String cgroup(SandboxSpec spec, String defaultParent) {
        String parent = spec.cgroupParent() == null || spec.cgroupParent().isBlank() ? defaultParent
                : trimSlashes(spec.cgroupParent());
        return parent.isEmpty() ? spec.id() : parent + "/" + spec.id();
    }

    /** The spec's hostname, else the pod's name, else the first 12 characters of its id. */
    public static String hostname(SandboxSpec spec) {
        String id = spec.id();
        return spec.hostname() != null && !spec.hostname().isBlank() ? spec.hostname()
                : spec.name() != null && !spec.name().isBlank() ? spec.name() : id.substring(0, Math.min(12, id.length()));
    }

    /** A cgroup path without leading or trailing slashes (and blanks). */
    public static String trimSlashes(String cgroup) {
        String s = cgroup.strip();
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
