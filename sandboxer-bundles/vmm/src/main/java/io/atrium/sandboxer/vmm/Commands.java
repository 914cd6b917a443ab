package io.atrium.sandboxer.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool (ip, tc, mke2fs, mount) and returns its output, failing with the command, exit
 * code and stderr. The tools are iproute2 and e2fsprogs, which every node has; netlink and ext4
 * writers in Java would be far more code for one call each per pod.
 */
final class Commands {
    private Commands() {
    }

    static String run(List<String> command) throws IOException {
        return run(command, 120);
    }

    static String run(List<String> command, long timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        p.getOutputStream().close();
        byte[][] err = new byte[1][];
        Thread errReader = new Thread(() -> {
            try {
                err[0] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                err[0] = new byte[0];
            }
        });
        errReader.setDaemon(true);
        errReader.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            errReader.join(1000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command.get(0));
        }
        if (p.exitValue() != 0) {
            String stderr = err[0] == null ? "" : new String(err[0], StandardCharsets.UTF_8).strip();
            throw new IOException(String.join(" ", command) + " failed with exit code " + p.exitValue()
                    + (stderr.isEmpty() ? "" : ": " + stderr));
        }
        return out;
    }

    /** {@code command} run inside the network namespace pinned at {@code netns}. */
    static List<String> inNetns(String netns, String... command) {
        List<String> c = new ArrayList<>(List.of("nsenter", "--net=" + netns, "--"));
        c.addAll(List.of(command));
        return c;
    }
}
