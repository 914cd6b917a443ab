package io.atrium.vmm.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** A container root file system for the guest: busybox-static and its applet links, made into ext4 by mke2fs -d. */
final class RootfsImage {
    private RootfsImage() {
    }

    static Path build(Path work, String name) throws IOException, InterruptedException {
        Path root = work.resolve(name + "-root");
        for (String d : List.of("bin", "proc", "sys", "dev", "tmp", "etc", "root")) Files.createDirectories(root.resolve(d));
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String app : List.of("sh", "echo", "cat", "sleep", "ls", "hostname", "true", "false", "ps", "id", "pwd", "env", "stty", "tty", "tr", "head", "tail", "dd"))
            Files.createSymbolicLink(root.resolve("bin/" + app), Path.of("busybox"));
        Files.writeString(root.resolve("etc/motd"), "rootfs " + name + "\n");
        Path img = work.resolve(name + ".ext4");
        Process p = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", "-d", root.toString(), img.toString(), "16M")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("mke2fs failed: " + out);
        return img;
    }
}
