package io.atrium.sandboxer.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Test fixture: a root filesystem of Debian's busybox-static, /bin/busybox plus one symlink per applet. */
final class BusyboxRootfs {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxRootfs() {
    }

    static Path build(Path dir) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(BUSYBOX, bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").start();
        List<String> applets = new String(list.getInputStream().readAllBytes()).lines().toList();
        list.waitFor();
        for (String applet : applets) {
            Path link = bin.resolve(applet);
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, Path.of("busybox"));
            }
        }
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "root")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        return dir;
    }

    /** An OCI spec as the engine builds it for an unprivileged container running {@code args}. */
    static String spec(List<String> args, boolean privileged) {
        String argv = String.join(",", args.stream().map(a -> "\"" + a.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .toList());
        String masked = privileged ? "[]" : "[\"/proc/kcore\",\"/proc/keys\"]";
        return """
            {"ociVersion":"1.1.0","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":[%s],
             "env":["PATH=/bin:/usr/bin"],"cwd":"/"},
             "root":{"path":"rootfs"},
             "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
              {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]}],
             "linux":{"maskedPaths":%s,
              "namespaces":[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"}]}}
            """.formatted(argv, masked);
    }
}
