package io.atrium.engine.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.engine.runtime.events.ContainerEvent;
import io.atrium.engine.runtime.events.ContainerEventBus;
import io.atrium.engine.runtime.spec.ContainerSpecInput;
import io.atrium.engine.runtime.spec.OciSpecBuilder;
import io.atrium.engine.runtime.spec.OomScoreAdj;
import io.atrium.engine.runtime.spec.Signals;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.ContainerState;
import io.atrium.engine.runtime.state.ContainerStore;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodSandboxStore;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.engine.runtime.validate.ContainerConfigValidator;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.ResolvedUser;
import io.atrium.image.api.Snapshotter;
import io.atrium.oci.spec.Spec;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxerDirectory;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/** CreateContainer to RemoveContainer, ExecSync and resource updates, against the pod's Task service. */
final class ContainerLifecycle {
    private static final Logger LOG = Logger.getLogger(ContainerLifecycle.class.getName());
    /** How long a container gets to die after SIGKILL before StopContainer gives up. */
    static final Duration KILL_GRACE = Duration.ofSeconds(30);

    private final SandboxerDirectory directory;
    private final PodSandboxStore pods;
    private final ContainerStore containers;
    private final ImageStore images;
    private final Snapshotter snapshotter;
    private final OciSpecBuilder specs;
    private final OomScoreAdj oom;
    private final ObjectMapper json;
    private final ContainerEventBus events;
    /** Containers the kernel's OOM killer hit; their exit reason becomes OOMKilled. */
    private final Set<String> oomKilled = ConcurrentHashMap.newKeySet();
    /** Containers whose start call is in flight: an exit seen meanwhile reports STARTED first. */
    private final Set<String> starting = ConcurrentHashMap.newKeySet();

    ContainerLifecycle(SandboxerDirectory directory, PodSandboxStore pods, ContainerStore containers, ImageStore images,
            Snapshotter snapshotter, OciSpecBuilder specs, OomScoreAdj oom, ObjectMapper json, ContainerEventBus events) {
        this.directory = directory;
        this.pods = pods;
        this.containers = containers;
        this.images = images;
        this.snapshotter = snapshotter;
        this.specs = specs;
        this.oom = oom;
        this.json = json;
        this.events = events;
    }

    private TaskService tasks(PodSandboxRecord pod) {
        return directory.tasks(pod.sandboxer(), pod.id());
    }

    private TaskService tasks(ContainerRecord c) {
        PodSandboxRecord pod = pods.require(c.podSandboxId());
        return tasks(pod);
    }

    String create(String podIdOrPrefix, ContainerConfig config, PodSandboxConfig sandboxConfig) {
        ContainerConfigValidator.validate(config);
        PodSandboxRecord pod = pods.require(podIdOrPrefix);
        if (pod.state() != PodState.READY) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "pod sandbox " + pod.id() + " is not ready (stopped); containers cannot be created in it");
        }
        PodSandboxConfig podConfig = PodLifecycle.config(pod);
        String imageName = config.getImage().getImage();
        ImageRecord image = images.find(imageName).orElseThrow(() -> SandboxException.notFound("image", imageName));
        String nameKey = ContainerStore.nameKey(pod.id(), config.getMetadata().getName(), config.getMetadata().getAttempt());
        containers.reserveName(nameKey);
        String id = Ids.next();
        boolean snapshot = false;
        boolean created = false;
        TaskService tasks = tasks(pod);
        try {
            ResolvedUser user = user(config, image);
            List<Long> groups = new ArrayList<>(user.additionalGids());
            config.getLinux().getSecurityContext().getSupplementalGroupsList().stream()
                    .filter(g -> !groups.contains(g)).forEach(groups::add);
            long targetPid = targetPid(config);
            Spec spec = specs.build(new ContainerSpecInput(id, pod.id(), config, podConfig, image.config(), imageName,
                    user.uid(), user.gid(), groups, targetPid));
            String specJson = json.writeValueAsString(spec);
            Path logPath = logPath(pod, config);
            Stdio stdio = containerStdio(logPath, config);
            List<Mount> rootfs = snapshotter.prepare(id, image.id(), false);
            snapshot = true;
            Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
            tasks.create(new CreateTask(id, specJson, rootfs, stdio, annotations));
            created = true;
            ContainerRecord record = new ContainerRecord(id, pod.id(), config.getMetadata().getName(),
                    config.getMetadata().getAttempt(), imageName, image.id(),
                    image.repoDigests().isEmpty() ? image.id() : image.repoDigests().get(0), config.getLabelsMap(),
                    config.getAnnotationsMap(), logPath == null ? "" : logPath.toString(), config.getLogPath(),
                    config.getTty(), mounts(config), stopSignal(config, image), specJson,
                    resourcesRecord(config.getLinux().getResources()),
                    new ContainerRecord.UserRecord(user.uid(), user.gid(), groups), Clock.nowNanos(),
                    new ContainerState.Created());
            containers.put(record);
            events.publish(new ContainerEvent(id, pod.id(), ContainerEvent.Type.CREATED, record.createdAtNanos()));
            return id;
        } catch (IOException | RuntimeException e) {
            RuntimeException failure = translate(e, "creating container " + config.getMetadata().getName());
            if (created) {
                quietly(failure, () -> tasks.delete(id, null));
            }
            if (snapshot) {
                quietly(failure, () -> snapshotter.remove(id));
            }
            containers.releaseName(nameKey);
            throw failure;
        }
    }

    private ResolvedUser user(ContainerConfig config, ImageRecord image) {
        var sc = config.getLinux().getSecurityContext();
        String spec;
        if (sc.hasRunAsUser()) {
            spec = Long.toString(sc.getRunAsUser().getValue());
        } else if (!sc.getRunAsUsername().isEmpty()) {
            spec = sc.getRunAsUsername();
        } else {
            spec = image.config().user();
            if (sc.hasRunAsGroup() && spec.contains(":")) {
                spec = spec.substring(0, spec.indexOf(':'));
            }
        }
        if (sc.hasRunAsGroup()) {
            spec = (spec.isEmpty() ? "0" : spec) + ":" + sc.getRunAsGroup().getValue();
        }
        try {
            return images.resolveUser(image.id(), spec.isEmpty() ? "0" : spec);
        } catch (ImageException e) {
            if (e.reason() == ImageException.Reason.NOT_FOUND) {
                throw SandboxException.invalid("user '" + spec + "' cannot be resolved in image " + image.id() + ": "
                        + e.getMessage());
            }
            throw e;
        }
    }

    private long targetPid(ContainerConfig config) {
        var ns = config.getLinux().getSecurityContext().getNamespaceOptions();
        if (ns.getPid() != NamespaceMode.TARGET) {
            return 0;
        }
        ContainerRecord target = containers.require(ns.getTargetId());
        return target.state() instanceof ContainerState.Running r ? r.pid() : 0;
    }

    private static Path logPath(PodSandboxRecord pod, ContainerConfig config) throws IOException {
        if (pod.logDirectory().isEmpty() || config.getLogPath().isEmpty()) {
            return null;
        }
        Path p = Path.of(pod.logDirectory()).resolve(config.getLogPath()).normalize();
        Files.createDirectories(p.getParent());
        return p;
    }

    private static List<ContainerRecord.MountRecord> mounts(ContainerConfig config) {
        return config.getMountsList().stream().map(m -> new ContainerRecord.MountRecord(m.getContainerPath(),
                m.getHostPath(), m.getReadonly(), m.getPropagation().name())).toList();
    }

    /** The config's stop signal, else the image's StopSignal, else SIGTERM. */
    private static int stopSignal(ContainerConfig config, ImageRecord image) {
        if (config.getStopSignalValue() != 0) {
            return Signals.parse(config.getStopSignal().name());
        }
        String s = image.config().stopSignal();
        return s.isEmpty() ? Signals.SIGTERM : Signals.parse(s);
    }

    static ContainerRecord.ResourcesRecord resourcesRecord(LinuxContainerResources r) {
        Map<String, Long> huge = new LinkedHashMap<>();
        r.getHugepageLimitsList().forEach(h -> huge.put(h.getPageSize(), h.getLimit()));
        return new ContainerRecord.ResourcesRecord(r.getCpuPeriod(), r.getCpuQuota(), r.getCpuShares(),
                r.getMemoryLimitInBytes(), r.getOomScoreAdj(), r.getCpusetCpus(), r.getCpusetMems(), huge,
                r.getUnifiedMap(), r.getMemorySwapLimitInBytes());
    }

    void start(String idOrPrefix) {
        ContainerRecord c = containers.require(idOrPrefix);
        if (!c.state().canStart()) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION, "container " + c.id() + " is "
                    + stateName(c.state()) + "; only a created container can be started");
        }
        PodSandboxRecord pod = pods.require(c.podSandboxId());
        if (pod.state() != PodState.READY) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "pod sandbox " + pod.id() + " is not ready");
        }
        long pid;
        starting.add(c.id());
        try {
            pid = tasks(pod).start(c.id(), null);
        } catch (RuntimeException e) {
            starting.remove(c.id());
            long now = Clock.nowNanos();
            containers.update(c.id(), r -> r.state().canStart()
                    ? r.withState(new ContainerState.Exited(0, now, 128, "StartError", String.valueOf(e.getMessage())))
                    : r);
            events.publish(new ContainerEvent(c.id(), c.podSandboxId(), ContainerEvent.Type.STOPPED, now));
            throw translate(e, "starting container " + c.id());
        }
        long now = Clock.nowNanos();
        // An exit reported while start was returning has already moved it on and published
        // STARTED before its STOPPED, so watchers always see the two in that order.
        // Removed from `starting` only after the update: until then an exit finds it Created and starting.
        boolean[] running = {false};
        containers.update(c.id(), r -> {
            if (!r.state().canStart()) {
                return r;
            }
            running[0] = true;
            return r.withState(new ContainerState.Running(now, pid));
        });
        starting.remove(c.id());
        if (running[0]) {
            events.publish(new ContainerEvent(c.id(), c.podSandboxId(), ContainerEvent.Type.STARTED, now));
        }
    }

    /**
     * Sends the stop signal, waits up to {@code timeoutSeconds}, then SIGKILLs every process of
     * the container. A container that is not running is left as it is.
     */
    void stop(String idOrPrefix, long timeoutSeconds) {
        ContainerRecord c = containers.require(idOrPrefix);
        if (!c.state().isRunning()) {
            return;
        }
        TaskService tasks = tasks(c);
        try {
            Optional<ExitStatus> exit = Optional.empty();
            if (timeoutSeconds > 0) {
                tasks.kill(c.id(), null, c.stopSignal(), false);
                exit = Exits.await(tasks, c.id(), null, Duration.ofSeconds(timeoutSeconds));
            }
            if (exit.isEmpty()) {
                tasks.kill(c.id(), null, Signals.SIGKILL, true);
                exit = Exits.await(tasks, c.id(), null, KILL_GRACE);
            }
            if (exit.isEmpty()) {
                throw new SandboxException(SandboxException.Reason.DEADLINE_EXCEEDED,
                        "container " + c.id() + " did not exit within " + KILL_GRACE.toSeconds() + " s of SIGKILL");
            }
            applyExit(c.id(), exit.get());
        } catch (SandboxException e) {
            if (e.reason() == SandboxException.Reason.NOT_FOUND) {
                applyExit(c.id(), ExitStatus.unknown(java.time.Instant.now(), "Unknown"));
                return;
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(SandboxException.Reason.UNAVAILABLE, "interrupted stopping container " + c.id());
        }
    }

    /** Forcibly stops if needed and removes every trace; unknown ids are fine (idempotent). */
    void remove(String idOrPrefix) {
        Optional<ContainerRecord> found = containers.resolve(idOrPrefix).flatMap(containers::get);
        if (found.isEmpty()) {
            return;
        }
        ContainerRecord c = found.get();
        stop(c.id(), 0);
        Optional<PodSandboxRecord> pod = pods.get(c.podSandboxId());
        if (pod.isPresent()) {
            try {
                tasks(pod.get()).delete(c.id(), null);
            } catch (SandboxException e) {
                if (e.reason() != SandboxException.Reason.NOT_FOUND) {
                    throw e;
                }
            }
        }
        snapshotter.remove(c.id());
        containers.remove(c);
        oomKilled.remove(c.id());
        events.publish(new ContainerEvent(c.id(), c.podSandboxId(), ContainerEvent.Type.DELETED, Clock.nowNanos()));
    }

    /** Output and exit code of a command run to completion inside the container. */
    record ExecResult(byte[] stdout, byte[] stderr, int exitCode) {
    }

    /**
     * A container's streams: output to its CRI log; with CRI {@code stdin: true} a stdin that stays open
     * for clients attaching later (the engine's own input channel is empty; the sandboxer keeps stdin
     * open until closeIO, {@code stdin_once} after the first client, or exit).
     */
    static Stdio containerStdio(Path logPath, ContainerConfig config) {
        Stdio.Endpoint log = logPath == null ? Stdio.Endpoint.NONE : new Stdio.Endpoint.CriLog(logPath);
        Stdio.Endpoint stdin = config.getStdin()
                ? new Stdio.Endpoint.InputChannel(java.nio.channels.Channels.newChannel(java.io.InputStream.nullInputStream()))
                : Stdio.Endpoint.NONE;
        return new Stdio(stdin, log, log, config.getTty(), config.getStdin() && config.getStdinOnce());
    }

    ExecResult execSync(String idOrPrefix, List<String> cmd, long timeoutSeconds) {
        if (cmd.isEmpty()) {
            throw SandboxException.invalid("exec needs a command");
        }
        ContainerRecord c = containers.require(idOrPrefix);
        if (!c.state().isRunning()) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "container " + c.id() + " is " + stateName(c.state()) + ", not running");
        }
        TaskService tasks = tasks(c);
        String execId = "exec-" + Ids.next().substring(0, 16);
        ExecOutput out = new ExecOutput();
        ExecOutput err = new ExecOutput();
        String processJson;
        try {
            Spec spec = json.readValue(c.ociSpecJson(), Spec.class);
            processJson = json.writeValueAsString(spec.process().withArgs(cmd).withTerminal(false));
        } catch (JsonProcessingException e) {
            throw new SandboxException(SandboxException.Reason.INTERNAL, "stored spec of " + c.id() + " is unreadable", e);
        }
        tasks.exec(new ExecProcess(c.id(), execId, processJson, new Stdio(Stdio.Endpoint.NONE,
                new Stdio.Endpoint.OutputChannel(out), new Stdio.Endpoint.OutputChannel(err), false, false)));
        try {
            tasks.start(c.id(), execId);
            Duration limit = timeoutSeconds > 0 ? Duration.ofSeconds(timeoutSeconds) : Duration.ofDays(365);
            Optional<ExitStatus> exit = Exits.await(tasks, c.id(), execId, limit);
            if (exit.isEmpty()) {
                tasks.kill(c.id(), execId, Signals.SIGKILL, false);
                Exits.await(tasks, c.id(), execId, Duration.ofSeconds(10));
                throw new SandboxException(SandboxException.Reason.DEADLINE_EXCEEDED, "command " + cmd
                        + " in container " + c.id() + " timed out after " + timeoutSeconds + " s");
            }
            // sandboxers drain a process's output before they report its exit, so both buffers are complete
            return new ExecResult(out.toByteArray(), err.toByteArray(), Exits.code(exit.get()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(SandboxException.Reason.UNAVAILABLE, "interrupted running " + cmd);
        } finally {
            try {
                tasks.delete(c.id(), execId);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "deleting exec " + execId + " of " + c.id(), e);
            }
        }
    }

    void updateResources(String idOrPrefix, LinuxContainerResources r) {
        ContainerRecord c = containers.require(idOrPrefix);
        if (c.state() instanceof ContainerState.Exited) {
            throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                    "container " + c.id() + " has exited; its resources cannot change");
        }
        tasks(c).update(c.id(), sandboxResources(r));
        containers.update(c.id(), x -> x.withResources(resourcesRecord(r)));
    }

    Resources sandboxResources(LinuxContainerResources r) {
        Map<String, Long> huge = new LinkedHashMap<>();
        r.getHugepageLimitsList().forEach(h -> huge.put(h.getPageSize(), h.getLimit()));
        return new Resources(r.getCpuShares(), r.getCpuQuota(), r.getCpuPeriod(), r.getCpusetCpus(), r.getCpusetMems(),
                r.getMemoryLimitInBytes(), r.getMemorySwapLimitInBytes(), 0, oom.clamp(r.getOomScoreAdj()), huge,
                r.getUnifiedMap());
    }

    /** After kubelet rotated the log: the sandboxer owns the writer, so it reopens the file (Sandbox API 1.1). */
    void reopenLog(ContainerRecord c) {
        tasks(c).reopenLog(c.id());
    }

    io.atrium.sandbox.api.ContainerStats stats(ContainerRecord c) {
        return tasks(c).stats(c.id());
    }

    /** An exit seen by an event, a wait or reconciliation; the first one recorded wins. */
    void applyExit(String containerId, ExitStatus exit) {
        long finished = Clock.nanos(exit.exitedAt());
        String reason = oomKilled.contains(containerId) ? "OOMKilled"
                : exit.reason() == null || exit.reason().isEmpty() ? (exit.code() == 0 ? "Completed" : "Error") : exit.reason();
        String message = exit.code() == ExitStatus.UNKNOWN_CODE && "Unknown".equals(reason)
                ? "exit code unknown: the container ended while no engine was watching" : "";
        boolean[] changed = {false};
        boolean[] startedToo = {false};
        Optional<ContainerRecord> after = containers.update(containerId, c -> {
            ContainerState s = c.state();
            if (s instanceof ContainerState.Running r) {
                changed[0] = true;
                return c.withState(new ContainerState.Exited(r.startedAtNanos(), finished, Exits.code(exit), reason, message));
            }
            if (s instanceof ContainerState.Created) {
                changed[0] = true;
                startedToo[0] = starting.contains(containerId);
                return c.withState(new ContainerState.Exited(finished, finished, Exits.code(exit), reason, message));
            }
            return c;
        });
        if (startedToo[0]) {
            after.ifPresent(c -> events.publish(new ContainerEvent(c.id(), c.podSandboxId(), ContainerEvent.Type.STARTED, finished)));
        }
        if (changed[0]) {
            after.ifPresent(c -> events.publish(new ContainerEvent(c.id(), c.podSandboxId(), ContainerEvent.Type.STOPPED, finished)));
        }
    }

    void markOom(String containerId) {
        oomKilled.add(containerId);
    }

    static String stateName(ContainerState s) {
        return s instanceof ContainerState.Created ? "created" : s instanceof ContainerState.Running ? "running" : "exited";
    }

    /** Image and I/O failures become SandboxExceptions with the matching reason; those pass through. */
    static RuntimeException translate(Exception e, String doing) {
        if (e instanceof SandboxException se) {
            return se;
        }
        if (e instanceof ImageException ie) {
            SandboxException.Reason r = switch (ie.reason()) {
                case NOT_FOUND -> SandboxException.Reason.NOT_FOUND;
                case INVALID_ARGUMENT -> SandboxException.Reason.INVALID_ARGUMENT;
                case ALREADY_EXISTS -> SandboxException.Reason.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> SandboxException.Reason.FAILED_PRECONDITION;
                case UNAVAILABLE -> SandboxException.Reason.UNAVAILABLE;
                case RESOURCE_EXHAUSTED -> SandboxException.Reason.RESOURCE_EXHAUSTED;
                case PERMISSION_DENIED -> SandboxException.Reason.PERMISSION_DENIED;
                default -> SandboxException.Reason.INTERNAL;
            };
            return new SandboxException(r, doing + " failed: " + ie.getMessage(), ie);
        }
        return new SandboxException(SandboxException.Reason.INTERNAL, doing + " failed: " + e.getMessage(), e);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void quietly(Exception failure, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failure.addSuppressed(e);
            LOG.log(Level.WARNING, "cleanup after a failed call failed too", e);
        }
    }
}
