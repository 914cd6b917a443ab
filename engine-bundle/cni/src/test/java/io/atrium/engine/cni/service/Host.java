package io.atrium.engine.cni.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs host tools (ip, iptables-save, busybox) for the tests and returns what they printed. */
final class Host {

    record Output(int exit, String text) {
    }

    private Host() {
    }

    static Output run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " timed out");
        }
        return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs and insists on success. */
    static String ok(String... cmd) throws IOException, InterruptedException {
        Output out = run(cmd);
        if (out.exit() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + out.exit() + ": " + out.text());
        }
        return out.text();
    }

    /** Starts a long-running process (a server inside a namespace); the caller destroys it. */
    static Process start(List<String> cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }
}
