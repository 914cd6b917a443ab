package com.example.atrium.process;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Sends signals to processes: SIGTERM and SIGKILL through the JDK, every other one through kill(1). */
final class Signals {

    static final int SIGKILL = 9;
    static final int SIGTERM = 15;

    private Signals() {
    }

    static void send(List<Long> pids, int signal) {
        if (signal <= 0 || signal > 64) {
            throw SandboxException.invalid("signal " + signal + " is not a Linux signal number");
        }
        if (signal == SIGTERM || signal == SIGKILL) {
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    if (signal == SIGKILL) {
                        h.destroyForcibly();
                    } else {
                        h.destroy();
                    }
                });
            }
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-s", Integer.toString(signal), "--"));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new SandboxException(Reason.INTERNAL, "cannot send signal " + signal + " to " + pids + ": " + out);
            }
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot run kill(1) to send signal " + signal + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Reason.UNAVAILABLE, "interrupted while sending signal " + signal);
        }
    }
}
