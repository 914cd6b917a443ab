package io.atrium.engine.cni;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Connects pod network namespaces to the node's network (CNI ADD/CHECK/DEL).
 *
 * <p>Calls for one pod are serialised; calls for different pods may run in parallel. Pods on the
 * host network never reach this service: the engine skips it for them.
 */
@ProviderType
public interface PodNetworks {

    /**
     * Attaches the pod's namespace to the configured network. On failure nothing is left behind
     * (interfaces, addresses, firewall rules); a cleanup that itself fails is retried in the
     * background until it succeeds, also after a node restart.
     */
    PodNetworkStatus setUp(PodAttachment attachment) throws PodNetworkException;

    /**
     * Detaches the pod. Idempotent: a pod that was never attached or already detached is a no-op.
     * When the plugins fail, the detach is remembered on disk, retried in the background (also
     * after a restart) and the failure is thrown so the caller may report it.
     */
    void tearDown(String podId) throws PodNetworkException;

    /** Asks the plugins whether the pod's network is still as set up (CNI CHECK). */
    void check(String podId) throws PodNetworkException;

    /** The pod's network as set up, also after a node restart; empty when the pod is not attached. */
    Optional<PodNetworkStatus> status(String podId);

    /** Whether pods can be attached now (the CRI NetworkReady condition) and, if not, why. */
    NetworkReadiness readiness();
}
