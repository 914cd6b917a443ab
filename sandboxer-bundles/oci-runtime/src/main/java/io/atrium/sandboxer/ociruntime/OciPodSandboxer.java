package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Platform;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.SandboxUpdate;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.TaskEndpoint;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The pod-level answers every sandboxer whose pods are {@link OciPodTasks} gives the same way: the pods by
 * id, their platform, exit, pod cgroup metrics and limits, Task endpoints and the list. The sandboxer adds
 * how a pod is created, started, stopped and released.
 *
 * @param <T> the sandboxer's per-pod Task service
 */
public abstract class OciPodSandboxer<T extends OciPodTasks<?, ?>> implements Sandboxer {
    private static final Logger LOG = Logger.getLogger(OciPodSandboxer.class.getName());

    /** A step of making or unmaking a pod. */
    @FunctionalInterface
    protected interface PodStep {
        void run() throws IOException;
    }

    /** The pods of this instance. */
    protected final PodRegistry<T> pods = new PodRegistry<>();

    /** The pod cgroups' tree (the sandboxer makes it while it is constructed). */
    protected abstract CgroupTree cgroups();

    /** The pod's Task service; NOT_FOUND if there is no pod by that id. */
    protected T pod(String sandboxId) {
        return pods.get(sandboxId);
    }

    /**
     * Records a new pod (ALREADY_EXISTS if the id is taken), persists it first (so that a crash half-way leaves
     * a record shutdown can clean up from) and builds it. On any failure {@code undo} releases what exists and
     * the pod is forgotten.
     */
    protected String createPod(String id, T tasks, PodStep build, PodStep undo) {
        pods.add(id, tasks);
        boolean built = false;
        try {
            tasks.taskPod().persist();
            build.run();
            built = true;
            return id;
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot create pod " + id + ": " + e.getMessage(), e);
        } finally {
            if (!built) {
                try {
                    undo.run();
                } catch (IOException | RuntimeException cleanup) {
                    LOG.log(Level.WARNING, "cleanup after failed create of pod " + id + " was incomplete", cleanup);
                }
                pods.remove(id, tasks);
            }
        }
    }

    /** The last step of a shutdown: the pod's record goes, and whoever waits for the pod sees it end. */
    protected void forgetPod(String id, T tasks, StateStore<?> store) {
        store.delete(id);
        pods.remove(id, tasks);
        tasks.taskPod().exitFuture().complete(ExitStatus.of(0, Instant.now()));
    }

    @Override
    public Platform platform(String sandboxId) {
        pod(sandboxId);
        return Platform.LINUX_AMD64;
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String sandboxId) {
        return pod(sandboxId).taskPod().exitFuture().minimalCompletionStage();
    }

    @Override
    public SandboxMetrics metrics(String sandboxId) {
        return cgroups().podMetrics(sandboxId, pod(sandboxId).taskPod().cgroup());
    }

    @Override
    public void update(String sandboxId, SandboxUpdate update) {
        cgroups().updatePod(sandboxId, pod(sandboxId).taskPod().cgroup(), update);
    }

    @Override
    public TaskEndpoint tasks(String sandboxId) {
        return new TaskEndpoint.InProcess(pod(sandboxId));
    }

    @Override
    public List<SandboxStatus> list() {
        return pods.statuses(id -> status(id, false));
    }
}
