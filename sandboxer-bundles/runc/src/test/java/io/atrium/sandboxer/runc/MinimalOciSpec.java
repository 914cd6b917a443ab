package io.atrium.sandboxer.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Test fixture standing in for the engine's CRI→OCI translation: a small valid runtime spec with the
 * namespaces network/ipc/uts listed without paths, as the engine lists them.
 */
final class MinimalOciSpec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] CAPS = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"};

    private MinimalOciSpec() {
    }

    static ObjectNode of(String... args) {
        ObjectNode spec = JSON.createObjectNode().put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process").put("terminal", false).put("cwd", "/")
                .put("noNewPrivileges", true);
        process.putObject("user").put("uid", 0).put("gid", 0);
        ArrayNode a = process.putArray("args");
        for (String s : args) {
            a.add(s);
        }
        process.putArray("env").add("PATH=/bin").add("HOME=/root");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : new String[] {"bounding", "effective", "permitted"}) {
            ArrayNode c = caps.putArray(set);
            for (String cap : CAPS) {
                c.add(cap);
            }
        }
        spec.putObject("root").put("path", "rootfs").put("readonly", false);
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : new String[] {"pid", "network", "ipc", "uts", "mount"}) {
            ns.addObject().put("type", t);
        }
        linux.putObject("resources").putArray("devices").addObject().put("allow", false).put("access", "rwm");
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys").add("/sys/firmware");
        linux.putArray("readonlyPaths").add("/proc/sys").add("/proc/sysrq-trigger");
        return spec;
    }

    private static void mount(ArrayNode mounts, String dest, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", dest).put("type", type).put("source", source);
        ArrayNode o = m.putArray("options");
        for (String s : options) {
            o.add(s);
        }
    }
}
