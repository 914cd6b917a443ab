package io.atrium.sandboxer.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Test fixture: a root filesystem of Debian's busybox-static — /bin/busybox plus one symlink per applet. */
final class BusyboxRootfs {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private BusyboxRootfs() {
    }

    /** Builds the rootfs in {@code dir} with {@code /www/index.html} holding {@code page}. */
    static Path build(Path dir, String page) throws IOException, InterruptedException {
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
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "www", "root")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("www/index.html"), page);
        Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        return dir;
    }
}
