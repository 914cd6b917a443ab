package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Platform;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.SandboxUpdate;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.TaskEndpoint;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The pod-level answers every sandboxer whose pods are {@link OciPodTasks} gives the same way: the pods by
 * id, their platform, exit, pod cgroup metrics and limits, Task endpoints and the list. The sandboxer adds
 * how a pod is created, started, stopped and released.
 *
 * @param <T> the sandboxer's per-pod Task service
 */
public abstract class OciPodSandboxer<T extends OciPodTasks<?, ?>> implements Sandboxer {
    /** The pods of this instance. */
    protected final PodRegistry<T> pods = new PodRegistry<>();

    /** The pod cgroups' tree (the sandboxer makes it while it is constructed). */
    protected abstract CgroupTree cgroups();

    /** The pod's Task service; NOT_FOUND if there is no pod by that id. */
    protected T pod(String sandboxId) {
        return pods.get(sandboxId);
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
