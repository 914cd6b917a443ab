package io.atrium.sandboxer.vmm;

import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandboxer.vmm.agent.AgentClient;
import io.atrium.sandboxer.vmm.agent.AgentException;
import io.atrium.sandboxer.vmm.qmp.QmpClient;
import io.atrium.sandboxer.vmm.stdio.StdioMux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Boots one pod VM and decides when it is ready: QEMU started, QMP connected, and the agent's first
 * answer to a ttrpc call (State of an id that cannot exist, answered NOT_FOUND). Any failure kills
 * QEMU before it is reported, so no VM outlives a failed start.
 */
final class VmBoot {
    /** The id the readiness probe asks about; no container is ever called this. */
    static final String PROBE_ID = "atrium-readiness-probe";

    private final VmEnvironment env;

    VmBoot(VmEnvironment env) {
        this.env = env;
    }

    /** Starts QEMU for {@code pod} and waits until its agent answers; connects everything on the way. */
    void boot(VmPod pod) {
        VmmSettings s = env.settings();
        PersistedVm r = pod.record();
        VmFiles files = pod.files();
        QemuProcess qemu = null;
        QmpClient qmp = null;
        StdioMux mux = null;
        AgentClient agent = null;
        long started = System.nanoTime();
        try {
            for (Path f : List.of(files.qmp(), files.agent(), files.stdio())) {
                Files.deleteIfExists(f);
            }
            List<String> cmd = QemuCommand.build(s, files, r.id(), r.hostname(), r.shape(), r.accel(), r.net(),
                    r.netns() == null ? null : Path.of(r.netns()));
            qemu = QemuProcess.start(cmd, files.qemuLog());
            QemuProcess q = qemu;
            pod.update(x -> x.withProcess(q.pid(), q.startTime(), x.qemuVersion()));
            qmp = qemu.connectQmp(files.qmp(), env.json(), s.bootTimeout());
            mux = StdioMux.connect(files.stdio());
            agent = env.agents().apply(files.agent()).connect();
            awaitAgent(agent, qemu, s.bootTimeout().minusNanos(System.nanoTime() - started));
            pod.connected(qemu, qmp, agent, mux);
        } catch (IOException | RuntimeException e) {
            if (agent != null) {
                agent.close();
            }
            if (mux != null) {
                mux.close();
            }
            if (qmp != null) {
                qmp.close();
            }
            if (qemu != null) {
                qemu.kill(Duration.ofSeconds(10));
            }
            if (e instanceof SandboxException se) {
                throw se;
            }
            throw new SandboxException(Reason.INTERNAL, "pod VM " + r.id() + " did not start: " + e.getMessage()
                    + consoleTail(files), e);
        }
    }

    /** Waits for the agent's first answer, or QEMU's exit, or the deadline. */
    static void awaitAgent(AgentClient agent, QemuProcess qemu, Duration timeout) throws IOException {
        CompletableFuture<Void> answered = CompletableFuture.runAsync(() -> {
            try {
                agent.call("State", StateRequest.newBuilder().setId(PROBE_ID).build(), StateResponse.parser(), timeout);
            } catch (AgentException e) {
                if (e.code() == AgentException.UNAVAILABLE || e.code() == AgentException.DEADLINE_EXCEEDED) {
                    throw new java.util.concurrent.CompletionException(e);
                }
                // any status answer (NOT_FOUND expected) proves the agent serves ttrpc
            }
        });
        try {
            CompletableFuture.anyOf(answered, qemu.exited()).get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new SandboxException(Reason.DEADLINE_EXCEEDED, "the guest agent did not answer within "
                    + timeout.toSeconds() + " s (atrium.vmm.boot.timeout.seconds); QEMU was killed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the VM booted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ce ? ce.getCause() : e.getCause();
            throw new IOException("the guest agent did not answer: " + c.getMessage(), c);
        }
        if (!answered.isDone()) {
            throw new IOException("QEMU (pid " + qemu.pid() + ") exited while the guest booted");
        }
    }

    /** The last lines of the serial console, to say why a guest did not come up. */
    static String consoleTail(VmFiles files) {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(files.qemuLog(), files.console())) {
            try {
                if (Files.exists(p)) {
                    List<String> lines = Files.readAllLines(p, java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (!lines.isEmpty()) {
                        b.append("; ").append(p.getFileName()).append(": ")
                                .append(String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())).strip());
                    }
                }
            } catch (IOException e) {
                // diagnostics only
            }
        }
        return b.toString();
    }
}
