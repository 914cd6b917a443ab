package io.atrium.sandbox.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One isolation technology managing every pod of its kind (runc, gVisor, Wasm, microVM...).
 *
 * <p>Registered as an OSGi service with the property {@value #NAME_PROPERTY}. Every method may
 * throw {@link SandboxException}; its {@link SandboxException.Reason} tells the engine which CRI
 * status to answer with.
 *
 * <p>Live upgrade contract: an implementation persists what it needs to re-adopt its sandboxes
 * under {@link NodePaths#sandboxerState(String)} and re-adopts them on activation, so that a new
 * bundle version serves every sandbox created by the old one.
 */
@ConsumerType
public interface Sandboxer {

    /** Service property carrying the sandboxer's name; runtime handlers map onto it. */
    String NAME_PROPERTY = "sandboxer.name";

    /** Records the sandbox and prepares what it needs; nothing runs yet. Returns the sandbox id. */
    String create(SandboxSpec spec);

    /** Starts the sandbox and hands back the Task service its containers go to. */
    SandboxReady start(String sandboxId);

    /** The platform containers of this sandbox must be built for. */
    Platform platform(String sandboxId);

    /** Stops every container of the sandbox, waiting at most {@code timeout} before killing. Idempotent. */
    void stop(String sandboxId, Duration timeout);

    /** Completes when the sandbox has exited. */
    CompletionStage<ExitStatus> waitExit(String sandboxId);

    /** Current state of one sandbox; {@code verbose} adds technology-specific details to {@code info}. */
    SandboxStatus status(String sandboxId, boolean verbose);

    /** Releases everything the sandbox holds (processes, mounts, cgroups, files). Idempotent. */
    void shutdown(String sandboxId);

    /** Resource usage of the whole sandbox. */
    SandboxMetrics metrics(String sandboxId);

    /** Changes the sandbox's resources or annotations while it runs. */
    void update(String sandboxId, SandboxUpdate update);

    /** The Task service of a started sandbox, including one re-adopted after an upgrade. */
    TaskEndpoint tasks(String sandboxId);

    /** Every sandbox this instance manages, including those it re-adopted on activation. */
    List<SandboxStatus> list();

    /** What the sandboxer is and runs on, for {@code atrium sandboxers}. */
    default SandboxerInfo info() {
        return new SandboxerInfo("unknown", java.util.Map.of());
    }

    /**
     * Opens a byte stream to {@code port} on the pod's loopback, for CRI PortForward. Sandboxers
     * whose pods live in the engine-prepared network namespace may leave this unimplemented: the
     * engine then connects inside that namespace itself. Sandboxers with their own network stack
     * (a user-space kernel, a VM) implement it. Since 1.2.
     */
    default java.nio.channels.ByteChannel portForward(String sandboxId, int port) {
        throw new SandboxException(SandboxException.Reason.UNIMPLEMENTED,
                "this sandboxer has no port-forward of its own");
    }
}
