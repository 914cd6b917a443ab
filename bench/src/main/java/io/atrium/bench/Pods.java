package io.atrium.bench;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.CreateContainerRequest;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxPodSandboxConfig;
import io.atrium.cri.v1.LinuxSandboxSecurityContext;
import io.atrium.cri.v1.ListPodSandboxRequest;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RemoveContainerRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RunPodSandboxRequest;
import io.atrium.cri.v1.StartContainerRequest;
import io.atrium.cri.v1.StopContainerRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.atrium.engine.cri.client.CriClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The same pod and container specs, sent over the same Java CRI client to whichever node. */
final class Pods {
    /** One pod the harness started: its ids and how long RunPodSandbox+CreateContainer+StartContainer took. */
    record Started(String podId, String containerId, double seconds) {
    }

    /** A batch: per-pod latencies and the makespan of the whole batch. */
    record Batch(List<Started> pods, double makespanSeconds) {
        List<Double> latencies() {
            return pods.stream().map(Started::seconds).toList();
        }
    }

    private static final long CALL_DEADLINE_S = 180;
    private final CriClient cri;
    private final Node node;
    private final String image;
    private final String handler;
    private final List<String> command;

    Pods(CriClient cri, Node node, String image, String handler, List<String> command) {
        this.cri = cri;
        this.node = node;
        this.image = image;
        this.handler = handler;
        this.command = command;
    }

    static void pull(CriClient cri, String ref) {
        cri.image().withDeadlineAfter(300, TimeUnit.SECONDS)
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build());
    }

    /** Host network for both runtimes: containerd without a CNI network cannot run pod-network pods, and Atrium has no CNI yet. */
    private PodSandboxConfig podConfig(String name) throws Exception {
        Path logs = Files.createDirectories(node.logDir().resolve(name));
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench").setUid(name + "-uid"))
                .setLogDirectory(logs.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE)
                                .setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD))))
                .build();
    }

    Started startOne(String name) throws Exception {
        long t0 = System.nanoTime();
        PodSandboxConfig pod = podConfig(name);
        String podId = cri.runtime().withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS)
                .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).setRuntimeHandler(handler).build()).getPodSandboxId();
        String cid = cri.runtime().withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS).createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setSandboxConfig(pod)
                .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("main"))
                        .setImage(ImageSpec.newBuilder().setImage(image)).addAllCommand(command).setLogPath("main.log"))
                .build()).getContainerId();
        cri.runtime().withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS)
                .startContainer(StartContainerRequest.newBuilder().setContainerId(cid).build());
        return new Started(podId, cid, (System.nanoTime() - t0) / 1e9);
    }

    /** kubelet's order: stop the container (timeout 0: SIGKILL at once), remove it, stop and remove the pod. */
    void removeOne(Started s) {
        var rt = cri.runtime().withDeadlineAfter(CALL_DEADLINE_S, TimeUnit.SECONDS);
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(s.containerId()).setTimeout(0).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(s.containerId()).build());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(s.podId()).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(s.podId()).build());
    }

    /** Starts n pods with at most {@code concurrency} in flight. */
    Batch start(String prefix, int n, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            long t0 = System.nanoTime();
            List<Future<Started>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = prefix + "-" + i;
                fs.add(pool.submit(() -> startOne(name)));
            }
            List<Started> out = new ArrayList<>();
            Exception first = null;
            for (Future<Started> f : fs) {
                try {
                    out.add(f.get(CALL_DEADLINE_S * 3, TimeUnit.SECONDS));
                } catch (Exception e) {
                    first = first == null ? e : first;
                }
            }
            double makespan = (System.nanoTime() - t0) / 1e9;
            if (first != null) {
                throw new IllegalStateException(out.size() + "/" + n + " pods started; first failure: " + first, first);
            }
            return new Batch(Collections.unmodifiableList(out), makespan);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Stops and removes the pods with at most {@code concurrency} in flight; returns the makespan. */
    double removeAll(List<Started> pods, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (Started s : pods) {
                fs.add(pool.submit(() -> removeOne(s)));
            }
            Exception first = null;
            for (Future<?> f : fs) {
                try {
                    f.get(CALL_DEADLINE_S * 4, TimeUnit.SECONDS);
                } catch (Exception e) {
                    first = first == null ? e : first;
                }
            }
            if (first != null) {
                throw new IllegalStateException("remove failed: " + first, first);
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    /** How many containers the runtime reports RUNNING (so a workload that exited early is noticed). */
    int running() {
        return (int) cri.runtime().withDeadlineAfter(60, TimeUnit.SECONDS)
                .listContainers(io.atrium.cri.v1.ListContainersRequest.newBuilder().setFilter(io.atrium.cri.v1.ContainerFilter.newBuilder()
                        .setState(io.atrium.cri.v1.ContainerStateValue.newBuilder().setState(io.atrium.cri.v1.ContainerState.CONTAINER_RUNNING)))
                        .build()).getContainersCount();
    }

    /** Removes whatever pods are left (after a failure), best effort. */
    void sweep() {
        try {
            for (var p : cri.runtime().withDeadlineAfter(30, TimeUnit.SECONDS).listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
                try {
                    var rt = cri.runtime().withDeadlineAfter(60, TimeUnit.SECONDS);
                    rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
                    rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
                } catch (RuntimeException e) {
                    System.err.println("sweep " + p.getId() + ": " + e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            System.err.println("sweep: " + e.getMessage());
        }
    }
}
