package io.atrium.oci.spec;

import java.util.List;
import java.util.Map;

/**
 * A container's {@code config.json}.
 *
 * @param ociVersion the runtime-spec version the config follows, e.g. {@value #VERSION}
 * @param process the process to run (absent for a config that only describes a sandbox)
 * @param root the root filesystem; {@code path} may be relative to the bundle
 * @param hostname host name inside the container (only with a private UTS namespace)
 * @param mounts mounts on top of the root, in order
 * @param annotations arbitrary metadata
 */
public record Spec(String ociVersion, Process process, Root root, String hostname, String domainname,
        List<Mount> mounts, Hooks hooks, Map<String, String> annotations, Linux linux) {

    /** The runtime-spec version this model follows. */
    public static final String VERSION = "1.1.0";

    public Spec {
        mounts = Copies.list(mounts);
        annotations = Copies.map(annotations);
    }

    public Spec withProcess(Process p) {
        return new Spec(ociVersion, p, root, hostname, domainname, mounts, hooks, annotations, linux);
    }

    public Spec withMounts(List<Mount> m) {
        return new Spec(ociVersion, process, root, hostname, domainname, m, hooks, annotations, linux);
    }

    public Spec withLinux(Linux l) {
        return new Spec(ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, l);
    }

    public Spec withAnnotations(Map<String, String> a) {
        return new Spec(ociVersion, process, root, hostname, domainname, mounts, hooks, a, linux);
    }
}
