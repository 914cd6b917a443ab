package io.atrium.sandboxer.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import io.atrium.containerd.task.v2.CloseIORequest;
import io.atrium.containerd.task.v2.CreateTaskRequest;
import io.atrium.containerd.task.v2.CreateTaskResponse;
import io.atrium.containerd.task.v2.DeleteRequest;
import io.atrium.containerd.task.v2.DeleteResponse;
import io.atrium.containerd.task.v2.ExecProcessRequest;
import io.atrium.containerd.task.v2.KillRequest;
import io.atrium.containerd.task.v2.PauseRequest;
import io.atrium.containerd.task.v2.PidsRequest;
import io.atrium.containerd.task.v2.PidsResponse;
import io.atrium.containerd.task.v2.ResizePtyRequest;
import io.atrium.containerd.task.v2.ResumeRequest;
import io.atrium.containerd.task.v2.StartRequest;
import io.atrium.containerd.task.v2.StartResponse;
import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.containerd.task.v2.StatsRequest;
import io.atrium.containerd.task.v2.StatsResponse;
import io.atrium.containerd.task.v2.UpdateTaskRequest;
import io.atrium.containerd.task.v2.WaitRequest;
import io.atrium.containerd.task.v2.WaitResponse;
import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import io.atrium.sandbox.api.TaskStatus;
import io.atrium.sandboxer.vmm.PersistedVm.PersistedContainer;
import io.atrium.sandboxer.vmm.agent.AgentClient;
import io.atrium.sandboxer.vmm.agent.AgentException;
import io.atrium.sandboxer.vmm.stdio.StdioMux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Task service of one pod VM, in the engine's JVM: every call goes over ttrpc straight to the
 * agent in the guest (no shim). What the host itself must do happens here around the calls: build
 * and hot-plug the container's root disk, write its CRI log from the stdio multiplex, and turn the
 * agent's Wait answers into exit events once the process's output is complete.
 */
final class PodTasks implements TaskService {
    private static final Logger LOG = Logger.getLogger(PodTasks.class.getName());
    static final String STDIO_SCHEME = "atrium-stdio:";
    static final String SPEC_TYPE = "io.atrium/oci-spec";
    static final String PROCESS_TYPE = "io.atrium/oci-process";
    static final String RESOURCES_TYPE = "io.atrium/linux-resources";
    static final String STATS_TYPE = "io.atrium/container-stats";
    private static final Duration DRAIN = Duration.ofSeconds(3);

    private final VmPod pod;
    private final VmEnvironment env;
    private final Map<String, Proc> procs = new ConcurrentHashMap<>();
    private final List<TaskEventListener> listeners = new CopyOnWriteArrayList<>();

    /** A process the host knows about: its output sinks and its exit. */
    private record Proc(String containerId, String execId, ProcessOutput output, CompletableFuture<ExitStatus> exit,
            long[] pid, boolean[] waiting) {
        String key() {
            return key(containerId, execId);
        }

        static String key(String containerId, String execId) {
            return execId == null || execId.isEmpty() ? containerId : containerId + "/" + execId;
        }
    }

    PodTasks(VmPod pod, VmEnvironment env) {
        this.pod = pod;
        this.env = env;
    }

    VmPod pod() {
        return pod;
    }

    // ---------------------------------------------------------------- create / start / delete

    @Override
    public TaskInfo create(CreateTask request) {
        String id = request.containerId();
        AgentClient agent = pod.agent();
        JsonNode spec = parseSpec(request.ociSpecJson(), id);
        refuseUnsupported(spec, id);
        if (request.rootfs().isEmpty()) {
            throw SandboxException.invalid("container " + id + ": the vmm sandboxer needs the image's root filesystem mounts");
        }
        if (pod.record().containers().containsKey(id)) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "container " + id + " exists in pod " + pod.id());
        }
        String serial = VmDisks.serial(id);
        int port = freePort();
        Path image = pod.files().disks().resolve(id + ".ext4");
        boolean attached = false;
        boolean recorded = false;
        ProcessOutput output = null;
        try {
            env.images().build(request.rootfs(), image);
            pod.disks().attach(serial, port, image);
            attached = true;
            String log = request.stdio().stdout() instanceof Stdio.Endpoint.CriLog c ? c.path().toString() : null;
            pod.update(r -> r.withContainer(new PersistedContainer(id, serial, port, image.toString(), log,
                    request.stdio().terminal())));
            recorded = true;
            output = register(id, null, request.stdio());
            CreateTaskRequest.Builder b = CreateTaskRequest.newBuilder().setId(id).setBundle("/run/atrium/" + id)
                    .addRootfs(io.atrium.containerd.types.Mount.newBuilder().setType("ext4").setSource("serial:" + serial))
                    .setTerminal(request.stdio().terminal())
                    .setOptions(Any.newBuilder().setTypeUrl(SPEC_TYPE).setValue(ByteString.copyFromUtf8(request.ociSpecJson())));
            stdioUris(b::setStdin, b::setStdout, b::setStderr, id, request.stdio());
            CreateTaskResponse r = createWithRetry(agent, b.build());
            procs.get(id).pid()[0] = r.getPid();
            pumpStdin(id, request.stdio());
            return new TaskInfo(id, "", r.getPid(), TaskStatus.CREATED, null);
        } catch (IOException | RuntimeException e) {
            if (output != null) {
                unregister(Proc.key(id, null));
            }
            if (attached) {
                detachQuietly(serial);
            }
            try {
                Files.deleteIfExists(image);
            } catch (IOException ignored) {
                // the VM directory goes with the pod
            }
            if (recorded) {
                pod.update(r -> r.withoutContainer(id));
            }
            throw failure(e, "creating container " + id);
        }
    }

    /**
     * Create, once more when the guest saw the hot-plugged disk's serial before the disk could be
     * opened (ENXIO from mount, seen under TCG right after device_add; reported to the guest side in
     * VMM-CONTRACT.md). The agent creates nothing when mounting the root disk fails.
     */
    private CreateTaskResponse createWithRetry(AgentClient agent, CreateTaskRequest request) throws AgentException {
        for (int attempt = 1;; attempt++) {
            try {
                return call(agent, "Create", request, CreateTaskResponse.parser());
            } catch (AgentException e) {
                if (attempt >= 5 || e.getMessage() == null || !e.getMessage().contains("No such device or address")) {
                    throw e;
                }
                QemuProcess.sleep(200L * attempt);
            }
        }
    }

    @Override
    public long start(String containerId, String execId) {
        Proc p = proc(containerId, execId);
        StartResponse r;
        try {
            r = call(pod.agent(), "Start", StartRequest.newBuilder().setId(containerId).setExecId(nz(execId)).build(),
                    StartResponse.parser());
        } catch (IOException e) {
            throw failure(e, "starting " + p.key());
        }
        p.pid()[0] = r.getPid();
        watch(p);
        return r.getPid();
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        String key = Proc.key(containerId, execId);
        boolean exec = execId != null && !execId.isEmpty();
        PersistedContainer c = pod.record().containers().get(containerId);
        if (!exec && c == null) {
            throw SandboxException.notFound("container", containerId);
        }
        ExitStatus status = null;
        AgentClient agent = pod.state() == io.atrium.sandbox.api.SandboxState.READY ? pod.agent() : null;
        if (agent != null) {
            try {
                DeleteResponse r = call(agent, "Delete", DeleteRequest.newBuilder().setId(containerId).setExecId(nz(execId))
                        .build(), DeleteResponse.parser());
                status = exit(r.getExitStatus(), r.getExitedAt());
            } catch (AgentException e) {
                if (e.code() != AgentException.NOT_FOUND) {
                    throw failure(e, "deleting " + key);
                }
            }
        }
        Proc p = procs.get(key);
        if (status == null) {
            status = p != null && p.exit().isDone() ? p.exit().join() : ExitStatus.unknown(env.clock().instant(), "Unknown");
        }
        unregister(key);
        if (!exec) {
            for (String k : List.copyOf(procs.keySet())) {
                if (k.startsWith(containerId + "/")) {
                    unregister(k);
                }
            }
            if (pod.disks() != null && agent != null) {
                detachQuietly(c.serial());
            }
            try {
                Files.deleteIfExists(Path.of(c.image()));
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot remove the disk image of " + containerId, e);
            }
            pod.update(r -> r.withoutContainer(containerId));
        }
        return status;
    }

    // ---------------------------------------------------------------- exec and stdio

    @Override
    public void exec(ExecProcess request) {
        String key = Proc.key(request.containerId(), request.execId());
        if (!pod.record().containers().containsKey(request.containerId())) {
            throw SandboxException.notFound("container", request.containerId());
        }
        if (procs.containsKey(key)) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "exec " + key + " exists");
        }
        try {
            register(request.containerId(), request.execId(), request.stdio());
            ExecProcessRequest.Builder b = ExecProcessRequest.newBuilder().setId(request.containerId())
                    .setExecId(request.execId()).setTerminal(request.stdio().terminal())
                    .setSpec(Any.newBuilder().setTypeUrl(PROCESS_TYPE)
                            .setValue(ByteString.copyFromUtf8(request.processSpecJson())));
            stdioUris(b::setStdin, b::setStdout, b::setStderr, key, request.stdio());
            call(pod.agent(), "Exec", b.build(), Empty.parser());
            pumpStdin(key, request.stdio());
        } catch (IOException | RuntimeException e) {
            unregister(key);
            throw failure(e, "exec in " + request.containerId());
        }
    }

    @Override
    public AutoCloseable attach(String containerId, String execId, Stdio streams) {
        Proc p = proc(containerId, execId);
        p.output().attach(streams);
        if (streams.stdin() instanceof Stdio.Endpoint.InputChannel in) {
            pod.mux().pumpStdin(p.key(), in.channel(), streams.stdinOnce());
        }
        return () -> p.output().detach(streams);
    }

    @Override
    public void closeIO(String containerId, String execId) {
        Proc p = proc(containerId, execId);
        try {
            pod.mux().closeStdin(p.key());
            call(pod.agent(), "CloseIO", CloseIORequest.newBuilder().setId(containerId).setExecId(nz(execId)).setStdin(true)
                    .build(), Empty.parser());
        } catch (IOException e) {
            throw failure(e, "closing stdin of " + p.key());
        }
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        simple("ResizePty", ResizePtyRequest.newBuilder().setId(containerId).setExecId(nz(execId)).setWidth(width)
                .setHeight(height).build(), "resizing the terminal of " + Proc.key(containerId, execId));
    }

    @Override
    public void reopenLog(String containerId) {
        Proc p = proc(containerId, null);
        if (p.output().log() == null) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId + " has no log file");
        }
        try {
            p.output().log().reopen();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot reopen the log of " + containerId + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- signals, state, stats

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        simple("Kill", KillRequest.newBuilder().setId(containerId).setExecId(nz(execId)).setSignal(signal).setAll(all)
                .build(), "signalling " + Proc.key(containerId, execId));
    }

    @Override
    public void pause(String containerId) {
        simple("Pause", PauseRequest.newBuilder().setId(containerId).build(), "pausing " + containerId);
    }

    @Override
    public void resume(String containerId) {
        simple("Resume", ResumeRequest.newBuilder().setId(containerId).build(), "resuming " + containerId);
    }

    @Override
    public void update(String containerId, Resources resources) {
        try {
            byte[] json = env.json().writeValueAsBytes(resources);
            simple("Update", UpdateTaskRequest.newBuilder().setId(containerId)
                    .setResources(Any.newBuilder().setTypeUrl(RESOURCES_TYPE).setValue(ByteString.copyFrom(json))).build(),
                    "updating " + containerId);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot encode resources of " + containerId, e);
        }
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        try {
            PidsResponse r = call(pod.agent(), "Pids", PidsRequest.newBuilder().setId(containerId).build(),
                    PidsResponse.parser());
            List<ProcessInfo> out = new ArrayList<>();
            r.getProcessesList().forEach(p -> out.add(new ProcessInfo(p.getPid(), "")));
            return out;
        } catch (IOException e) {
            throw failure(e, "listing processes of " + containerId);
        }
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        Proc p = procs.get(Proc.key(containerId, execId));
        if (p != null && p.exit().isDone()) {
            return new TaskInfo(containerId, execId, p.pid()[0], TaskStatus.STOPPED, p.exit().join());
        }
        if (pod.state() != io.atrium.sandbox.api.SandboxState.READY) {
            if (p == null) {
                throw SandboxException.notFound("task", Proc.key(containerId, execId));
            }
            return new TaskInfo(containerId, execId, p.pid()[0], TaskStatus.STOPPED,
                    ExitStatus.unknown(env.clock().instant(), "VMStopped"));
        }
        try {
            StateResponse r = call(pod.agent(), "State", StateRequest.newBuilder().setId(containerId).setExecId(nz(execId))
                    .build(), StateResponse.parser());
            TaskStatus status = switch (r.getStatus()) {
                case CREATED -> TaskStatus.CREATED;
                case RUNNING -> TaskStatus.RUNNING;
                case STOPPED -> TaskStatus.STOPPED;
                case PAUSED -> TaskStatus.PAUSED;
                case PAUSING -> TaskStatus.PAUSING;
                default -> TaskStatus.UNKNOWN;
            };
            ExitStatus exit = null;
            if (status == TaskStatus.STOPPED) {
                if (p != null) {
                    p.output().awaitDrained(DRAIN); // callers read the output once they see STOPPED
                }
                exit = exit(r.getExitStatus(), r.getExitedAt());
            }
            return new TaskInfo(containerId, execId, r.getPid(), status, exit);
        } catch (IOException e) {
            throw failure(e, "reading the state of " + Proc.key(containerId, execId));
        }
    }

    @Override
    public ContainerStats stats(String containerId) {
        try {
            StatsResponse r = call(pod.agent(), "Stats", StatsRequest.newBuilder().setId(containerId).build(),
                    StatsResponse.parser());
            Instant now = env.clock().instant();
            if (!STATS_TYPE.equals(r.getStats().getTypeUrl())) {
                return new ContainerStats(now, 0, 0, 0, 0, 0, 0, 0, 0);
            }
            JsonNode s = env.json().readTree(r.getStats().getValue().toByteArray());
            return new ContainerStats(now, s.path("cpu_usage_nanos").asLong(), s.path("memory_usage_bytes").asLong(),
                    s.path("working_set_bytes").asLong(), s.path("rss_bytes").asLong(), s.path("page_faults").asLong(),
                    s.path("major_page_faults").asLong(), s.path("pids").asLong(), s.path("oom_kills").asLong());
        } catch (IOException e) {
            throw failure(e, "reading stats of " + containerId);
        }
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        Proc p = proc(containerId, execId);
        watch(p);
        return p.exit().minimalCompletionStage();
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    // ---------------------------------------------------------------- re-adoption and VM end

    /** After a bundle update or node restart: log writers and exit watches of every recorded container. */
    void readopt() {
        for (PersistedContainer c : pod.record().containers().values()) {
            Stdio stdio = c.logPath() == null ? Stdio.NONE : Stdio.criLog(Path.of(c.logPath()), c.terminal());
            try {
                register(c.id(), null, stdio);
                Proc p = procs.get(c.id());
                TaskInfo info = state(c.id(), null);
                p.pid()[0] = info.pid();
                if (info.status() == TaskStatus.RUNNING || info.status() == TaskStatus.PAUSED) {
                    watch(p);
                } else if (info.status() == TaskStatus.STOPPED) {
                    p.exit().complete(info.exit());
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot re-adopt container " + c.id() + " of VM " + pod.id(), e);
            }
        }
    }

    /** The VM is gone: every process that had not exited ended with it. */
    void vmEnded(Instant at) {
        for (Proc p : procs.values()) {
            if (!p.exit().isDone() && p.pid()[0] != 0) {
                ExitStatus s = new ExitStatus(137, 9, at, "VMStopped");
                if (p.exit().complete(s)) {
                    publish(new TaskEvent.Exited(p.containerId(), nz(p.execId()), p.pid()[0], s));
                }
            }
            p.output().closeLog();
        }
    }

    /** Closes the host ends of every process's output (bundle update; nothing in the guest changes). */
    void detach() {
        procs.values().forEach(p -> p.output().closeLog());
    }

    // ---------------------------------------------------------------- helpers

    private ProcessOutput register(String containerId, String execId, Stdio stdio) throws IOException {
        String key = Proc.key(containerId, execId);
        ProcessOutput out = ProcessOutput.of(key, stdio, env.clock());
        Proc p = new Proc(containerId, execId, out, new CompletableFuture<>(), new long[1], new boolean[1]);
        procs.put(key, p);
        StdioMux mux = pod.mux();
        if (mux != null) {
            mux.register(key, out);
        }
        return out;
    }

    private void unregister(String key) {
        Proc p = procs.remove(key);
        if (p != null) {
            if (pod.mux() != null) {
                pod.mux().forget(key);
            }
            p.output().closeLog();
        }
    }

    private void pumpStdin(String key, Stdio stdio) {
        if (stdio.stdin() instanceof Stdio.Endpoint.InputChannel in && pod.mux() != null) {
            pod.mux().pumpStdin(key, in.channel(), true);
        }
    }

    /** Starts one blocking Wait in the guest for {@code p}, once; its answer becomes the exit and an event. */
    private void watch(Proc p) {
        synchronized (p) {
            if (p.waiting()[0] || p.exit().isDone()) {
                return;
            }
            p.waiting()[0] = true;
        }
        AgentClient agent = pod.agent();
        env.waits().execute(() -> {
            try {
                WaitResponse r = agent.call("Wait", WaitRequest.newBuilder().setId(p.containerId()).setExecId(nz(p.execId()))
                        .build(), WaitResponse.parser(), null);
                p.output().awaitDrained(DRAIN);
                ExitStatus s = exit(r.getExitStatus(), r.getExitedAt());
                if (p.exit().complete(s)) {
                    publish(new TaskEvent.Exited(p.containerId(), nz(p.execId()), p.pid()[0], s));
                }
            } catch (AgentException e) {
                synchronized (p) {
                    p.waiting()[0] = false;
                }
                if (pod.detaching()) {
                    return; // this instance is being replaced; the next one watches again
                }
                if (e.code() == AgentException.NOT_FOUND) {
                    p.exit().complete(ExitStatus.unknown(env.clock().instant(), "Unknown"));
                } else {
                    LOG.log(Level.FINE, "waiting for " + p.key() + " in VM " + pod.id() + " failed", e);
                }
            }
        });
    }

    private void publish(TaskEvent event) {
        for (TaskEventListener l : listeners) {
            try {
                l.onEvent(pod.id(), event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task event listener failed", e);
            }
        }
    }

    private Proc proc(String containerId, String execId) {
        Proc p = procs.get(Proc.key(containerId, execId));
        if (p == null) {
            throw SandboxException.notFound("task", Proc.key(containerId, execId));
        }
        return p;
    }

    private int freePort() {
        Set<Integer> used = new HashSet<>();
        pod.record().containers().values().forEach(c -> used.add(c.port()));
        for (int i = 0; i < QemuCommand.DISK_PORTS; i++) {
            if (!used.contains(i)) {
                return i;
            }
        }
        throw new SandboxException(Reason.RESOURCE_EXHAUSTED, "pod VM " + pod.id() + " has all "
                + QemuCommand.DISK_PORTS + " container disk slots in use");
    }

    private void detachQuietly(String serial) {
        try {
            pod.disks().detach(serial, Duration.ofSeconds(5));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "detaching disk " + serial + " of VM " + pod.id(), e);
        }
    }

    private <T extends com.google.protobuf.Message> T call(AgentClient agent, String method, com.google.protobuf.Message req,
            com.google.protobuf.Parser<T> parser) throws AgentException {
        return agent.call(method, req, parser, env.settings().callTimeout());
    }

    private void simple(String method, com.google.protobuf.Message req, String what) {
        try {
            call(pod.agent(), method, req, Empty.parser());
        } catch (IOException e) {
            throw failure(e, what);
        }
    }

    private static void stdioUris(java.util.function.Function<String, ?> in, java.util.function.Function<String, ?> out,
            java.util.function.Function<String, ?> err, String key, Stdio stdio) {
        if (!(stdio.stdin() instanceof Stdio.Endpoint.None)) {
            in.apply(STDIO_SCHEME + key);
        }
        if (ProcessOutput.wants(stdio.stdout())) {
            out.apply(STDIO_SCHEME + key);
        }
        if (ProcessOutput.wants(stdio.stderr()) && !stdio.terminal()) {
            err.apply(STDIO_SCHEME + key);
        }
    }

    private JsonNode parseSpec(String json, String id) {
        try {
            return env.json().readTree(json);
        } catch (IOException e) {
            throw SandboxException.invalid("container " + id + ": OCI spec is not JSON: " + e.getMessage());
        }
    }

    /**
     * What a VM cannot give a container: the host's devices and kernel (privileged) or the host's
     * namespaces. A privileged spec is recognised by what the engine leaves out for it: masked paths.
     */
    static void refuseUnsupported(JsonNode spec, String id) {
        JsonNode linux = spec.path("linux");
        boolean masked = linux.path("maskedPaths").isArray() && !linux.path("maskedPaths").isEmpty();
        if (!masked) {
            throw SandboxException.invalid("container " + id + ": privileged containers are not supported by the vmm "
                    + "sandboxer (the guest kernel is not the host's)");
        }
        for (JsonNode ns : linux.path("namespaces")) {
            if (ns.hasNonNull("path") && !ns.path("path").asText().isEmpty()
                    && !"network".equals(ns.path("type").asText())) {
                throw SandboxException.invalid("container " + id + ": joining the host's or another container's "
                        + ns.path("type").asText() + " namespace by path is not supported in a VM");
            }
        }
    }

    static ExitStatus exit(int code, Timestamp at) {
        Instant when = at.getSeconds() == 0 && at.getNanos() == 0 ? Instant.now()
                : Instant.ofEpochSecond(at.getSeconds(), at.getNanos());
        if (code > 128 && code < 128 + 65) {
            return new ExitStatus(code, code - 128, when, code == 137 ? "Killed" : "Error");
        }
        return ExitStatus.of(code, when);
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }

    private SandboxException failure(Exception e, String what) {
        if (e instanceof SandboxException se) {
            return se;
        }
        if (e instanceof AgentException a) {
            Reason r = switch (a.code()) {
                case AgentException.NOT_FOUND -> Reason.NOT_FOUND;
                case AgentException.ALREADY_EXISTS -> Reason.ALREADY_EXISTS;
                case AgentException.INVALID_ARGUMENT -> Reason.INVALID_ARGUMENT;
                case AgentException.FAILED_PRECONDITION -> Reason.FAILED_PRECONDITION;
                case AgentException.UNIMPLEMENTED -> Reason.UNIMPLEMENTED;
                case AgentException.DEADLINE_EXCEEDED -> Reason.DEADLINE_EXCEEDED;
                case AgentException.UNAVAILABLE -> Reason.UNAVAILABLE;
                default -> Reason.INTERNAL;
            };
            return new SandboxException(r, what + " in pod VM " + pod.id() + ": " + a.getMessage(), a);
        }
        return new SandboxException(Reason.INTERNAL, what + " in pod VM " + pod.id() + " failed: " + e.getMessage(), e);
    }
}
