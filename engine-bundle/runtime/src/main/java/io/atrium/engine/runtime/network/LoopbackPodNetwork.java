package io.atrium.engine.runtime.network;

import io.atrium.cri.v1.PodSandboxConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pods get loopback only: {@code lo} is brought up inside the pinned namespace with iproute2 run
 * under nsenter(1) (namespaces belong to threads, so the JVM does not enter them itself).
 */
public final class LoopbackPodNetwork implements PodNetwork {

    @Override
    public Attachment setUp(String podId, Path netns, PodSandboxConfig config) throws IOException {
        run(List.of("nsenter", "--net=" + netns, "ip", "link", "set", "dev", "lo", "up"));
        return Attachment.NONE;
    }

    @Override
    public void tearDown(String podId, Path netns, PodSandboxConfig config) {
        // loopback goes away with the namespace
    }

    @Override
    public Readiness readiness() {
        return new Readiness(false, "NoCNIConfig",
                "no CNI network is configured: pods get loopback only (host-network pods are unaffected)");
    }

    private static void run(List<String> cmd) throws IOException {
        Path out = Files.createTempFile("atrium-net", ".out");
        try {
            java.lang.Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": "
                        + Files.readString(out, StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted running " + cmd);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
