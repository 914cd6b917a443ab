package io.atrium.oci.spec;

import java.util.List;
import java.util.Map;

/**
 * Linux-specific configuration.
 *
 * @param sysctl namespaced kernel parameters set for the container
 * @param cgroupsPath cgroup the container is created in or joins
 * @param namespaces namespaces to create (no path) or join (path)
 * @param maskedPaths paths hidden inside the container
 * @param readonlyPaths paths made read-only inside the container
 */
public record Linux(List<IdMapping> uidMappings, List<IdMapping> gidMappings, Map<String, String> sysctl,
        Resources resources, String cgroupsPath, List<Namespace> namespaces, List<Device> devices,
        Seccomp seccomp, String rootfsPropagation, List<String> maskedPaths, List<String> readonlyPaths,
        String mountLabel) {

    public Linux {
        uidMappings = Copies.list(uidMappings);
        gidMappings = Copies.list(gidMappings);
        sysctl = Copies.map(sysctl);
        namespaces = Copies.list(namespaces);
        devices = Copies.list(devices);
        maskedPaths = Copies.list(maskedPaths);
        readonlyPaths = Copies.list(readonlyPaths);
    }

    public Linux withResources(Resources r) {
        return new Linux(uidMappings, gidMappings, sysctl, r, cgroupsPath, namespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel);
    }

    public Linux withNamespaces(List<Namespace> n) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, cgroupsPath, n, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel);
    }

    public Linux withCgroupsPath(String path) {
        return new Linux(uidMappings, gidMappings, sysctl, resources, path, namespaces, devices, seccomp,
                rootfsPropagation, maskedPaths, readonlyPaths, mountLabel);
    }

    /** Namespace type names as config.json spells them. */
    public static final String PID = "pid", NETWORK = "network", MOUNT = "mount", IPC = "ipc", UTS = "uts",
            USER = "user", CGROUP = "cgroup", TIME = "time";

    /** A namespace of {@code type}: joined when {@code path} is given, created otherwise. */
    public record Namespace(String type, String path) {
        public static Namespace create(String type) {
            return new Namespace(type, null);
        }
    }

    /** A user-namespace id range. */
    public record IdMapping(long containerID, long hostID, long size) {
    }

    /** A device node created in the container. */
    public record Device(String type, String path, Long major, Long minor, Integer fileMode, Long uid, Long gid) {
    }
}
