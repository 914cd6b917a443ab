package io.atrium.engine.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.atrium.cri.v1.AttachRequest;
import io.atrium.cri.v1.ExecRequest;
import io.atrium.cri.v1.PortForwardRequest;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.engine.streaming.AttachTarget;
import io.atrium.engine.streaming.ExecTarget;
import io.atrium.engine.streaming.PortForwardTarget;
import io.atrium.engine.streaming.StreamOptions;
import io.atrium.oci.spec.Process;
import io.atrium.oci.spec.Spec;
import io.atrium.sandbox.api.SandboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the CRI Exec, Attach and PortForward requests into what the streaming server serves: the
 * container or pod must exist (NotFound) and run (FailedPrecondition) now, at the RPC, so kubelet
 * learns of a bad request before it connects.
 */
final class StreamRequests {
    private final RuntimeEngine engine;

    StreamRequests(RuntimeEngine engine) {
        this.engine = engine;
    }

    ExecTarget exec(ExecRequest r) {
        if (r.getCmdCount() == 0) {
            throw SandboxException.invalid("exec needs a command");
        }
        StreamOptions streams = new StreamOptions(r.getStdin(), r.getStdout(), r.getStderr(), r.getTty());
        ContainerRecord c = running(r.getContainerId());
        PodSandboxRecord pod = engine.pods.require(c.podSandboxId());
        return new ExecTarget(engine.directory.tasks(pod.sandboxer(), pod.id()), c.id(),
                processJson(c, r.getCmdList(), r.getTty()), streams);
    }

    AttachTarget attach(AttachRequest r) {
        StreamOptions streams = new StreamOptions(r.getStdin(), r.getStdout(), r.getStderr(), r.getTty());
        ContainerRecord c = running(r.getContainerId());
        PodSandboxRecord pod = engine.pods.require(c.podSandboxId());
        return new AttachTarget(engine.directory.tasks(pod.sandboxer(), pod.id()), c.id(), streams);
    }

    PortForwardTarget portForward(PortForwardRequest r) {
        if (r.getPodSandboxId().isEmpty()) {
            throw SandboxException.invalid("pod_sandbox_id is required");
        }
        PodSandboxRecord pod = engine.pods.require(r.getPodSandboxId());
        if (pod.state() != PodState.READY) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "pod sandbox " + pod.id() + " is not ready; its ports cannot be forwarded");
        }
        Path netns = pod.hostNetwork() || pod.netnsPath() == null ? null : Path.of(pod.netnsPath());
        return new PortForwardTarget(engine.directory.sandboxer(pod.sandboxer()), pod.id(), netns, r.getPortList());
    }

    private ContainerRecord running(String idOrPrefix) {
        if (idOrPrefix.isEmpty()) {
            throw SandboxException.invalid("container_id is required");
        }
        ContainerRecord c = engine.containers.require(idOrPrefix);
        if (!c.state().isRunning()) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "container " + c.id() + " is " + ContainerLifecycle.stateName(c.state()) + ", not running");
        }
        return c;
    }

    /** The container's own process spec with the command, and a terminal (TERM=xterm as containerd sets) if asked. */
    private String processJson(ContainerRecord c, List<String> cmd, boolean tty) {
        try {
            Process p = engine.json.readValue(c.ociSpecJson(), Spec.class).process().withArgs(cmd).withTerminal(tty);
            if (tty && p.env().stream().noneMatch(e -> e.startsWith("TERM="))) {
                List<String> env = new ArrayList<>(p.env());
                env.add("TERM=xterm");
                p = new Process(p.terminal(), p.consoleSize(), p.user(), p.args(), env, p.cwd(), p.capabilities(),
                        p.rlimits(), p.noNewPrivileges(), p.apparmorProfile(), p.oomScoreAdj(), p.selinuxLabel());
            }
            return engine.json.writeValueAsString(p);
        } catch (JsonProcessingException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL, "stored spec of " + c.id() + " is unreadable", e);
        }
    }
}
