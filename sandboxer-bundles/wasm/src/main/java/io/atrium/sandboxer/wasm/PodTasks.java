package io.atrium.sandboxer.wasm;

import io.atrium.sandbox.api.ContainerStats;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.ExecProcess;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.ProcessInfo;
import io.atrium.sandbox.api.Resources;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.TaskEvent;
import io.atrium.sandbox.api.TaskEventListener;
import io.atrium.sandbox.api.TaskInfo;
import io.atrium.sandbox.api.TaskService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/** The containers of one Wasm pod. */
final class PodTasks implements TaskService {
    private static final Logger LOG = Logger.getLogger(PodTasks.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};
    static final String NO_SHELL = "a Wasm container has no shell: exec and attach are not supported";

    private final WasmPod pod;
    private final WasmEnvironment env;
    private final Map<String, WasmContainer> containers = new ConcurrentHashMap<>();
    private final List<TaskEventListener> listeners = new CopyOnWriteArrayList<>();

    PodTasks(WasmPod pod, WasmEnvironment env) {
        this.pod = pod;
        this.env = env;
    }

    Collection<WasmContainer> containers() {
        return containers.values();
    }

    /** Puts back a container known only from a persisted record. */
    void readopt(WasmContainer c) {
        containers.put(c.id(), c);
    }

    private WasmContainer get(String containerId) {
        WasmContainer c = containers.get(containerId);
        if (c == null) {
            throw SandboxException.notFound("container", containerId + " in wasm pod " + pod.id());
        }
        return c;
    }

    private static void mainProcessOnly(String containerId, String execId) {
        if (execId != null && !execId.isEmpty()) {
            throw SandboxException.notFound("exec", execId + " of container " + containerId + " (" + NO_SHELL + ")");
        }
    }

    @Override
    public TaskInfo create(CreateTask request) {
        String id = request.containerId();
        if (!ID.matcher(id).matches()) {
            throw SandboxException.invalid("container id " + id + " is not a valid name");
        }
        if (pod.state() != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "wasm pod " + pod.id() + " is " + pod.state()
                    + ", containers are created only in a ready pod");
        }
        ContainerSpec spec = ContainerSpec.parse(env.json(), id, request.ociSpecJson());
        if (containers.containsKey(id)) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "container " + id + " exists in wasm pod " + pod.id());
        }
        Path dir = env.run().resolve(pod.id()).resolve(id);
        Path root = env.fs().mount(id, dir, request.rootfs(), spec);
        ContainerIo io = null;
        try {
            ModuleCache.CompiledModule module = env.modules().get(id, readModule(id, root, spec));
            io = new ContainerIo(id, request.stdio(), env.clock());
            WasmContainer c = new WasmContainer(id, dir, new ModuleRun(module, spec, root, env.clock()), io,
                    new ContainerState.Created(env.clock().instant()), env.clock());
            if (containers.putIfAbsent(id, c) != null) {
                throw new SandboxException(Reason.ALREADY_EXISTS, "container " + id + " exists in wasm pod " + pod.id());
            }
            pod.persist();
            return info(c);
        } catch (RuntimeException | Error e) {
            if (io != null) {
                io.close();
            }
            if (!(e instanceof SandboxException se && se.reason() == Reason.ALREADY_EXISTS)) {
                containers.remove(id);
            }
            unmountQuietly(dir, e);
            throw e;
        }
    }

    private static byte[] readModule(String containerId, Path root, ContainerSpec spec) {
        String inImage = spec.modulePath();
        Path file = root.resolve(inImage.replaceFirst("^/+", "")).normalize();
        if (!file.startsWith(root)) {
            throw SandboxException.invalid("container " + containerId + ": module path " + inImage + " leaves the rootfs");
        }
        byte[] wasm;
        try {
            wasm = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw SandboxException.invalid("container " + containerId + ": the image has no " + inImage
                    + " (its Entrypoint/Cmd or the CRI command must name a .wasm file in the image)");
        } catch (IOException e) {
            throw SandboxException.invalid("container " + containerId + ": cannot read module " + inImage + ": "
                    + e.getMessage() + (e.getMessage() != null && e.getMessage().contains("symbolic")
                            ? " (symlinks are not followed in Wasm containers)" : ""));
        }
        if (wasm.length < 8 || !java.util.Arrays.equals(wasm, 0, 4, WASM_MAGIC, 0, 4)) {
            throw SandboxException.invalid("container " + containerId + ": " + inImage
                    + " is not a WebAssembly module (no \\0asm header); the wasm handler runs only WASI modules");
        }
        return wasm;
    }

    @Override
    public long start(String containerId, String execId) {
        mainProcessOnly(containerId, execId);
        WasmContainer c = get(containerId);
        c.start(env.threadStackBytes(), started -> pod.persist(), this::exited);
        return 0; // no process: the module runs on a thread of the node JVM
    }

    private void exited(WasmContainer c) {
        ExitStatus exit = c.exit().getNow(null);
        ContainerState s = c.state();
        ExitStatus status = s instanceof ContainerState.Exited e ? e.exit() : exit;
        try {
            pod.persist();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot persist the exit of wasm container " + c.id(), e);
        }
        if (ModuleRun.OOM_REASON.equals(status.reason())) {
            emit(new TaskEvent.OutOfMemory(c.id()));
        }
        emit(new TaskEvent.Exited(c.id(), "", 0, status));
    }

    private void emit(TaskEvent event) {
        for (TaskEventListener l : listeners) {
            try {
                l.onEvent(pod.id(), event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "task event listener failed on " + event, e);
            }
        }
    }

    @Override
    public ExitStatus delete(String containerId, String execId) {
        mainProcessOnly(containerId, execId);
        WasmContainer c = get(containerId);
        if (!c.state().canDelete()) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "container " + containerId
                    + " is running; stop it before deleting it");
        }
        c.discard();
        try {
            env.fs().unmount(c.dir());
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "container " + containerId + ": cannot unmount " + c.dir() + ": "
                    + e.getMessage(), e);
        }
        containers.remove(containerId, c);
        pod.persist();
        ContainerState s = c.state();
        return s instanceof ContainerState.Exited e ? e.exit() : ExitStatus.unknown(env.clock().instant(), "never started");
    }

    @Override
    public List<ProcessInfo> pids(String containerId) {
        get(containerId);
        return List.of(); // a Wasm container has no host process
    }

    @Override
    public void pause(String containerId) {
        get(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "the wasm sandboxer cannot pause container " + containerId);
    }

    @Override
    public void resume(String containerId) {
        get(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "the wasm sandboxer cannot pause or resume container "
                + containerId);
    }

    @Override
    public void kill(String containerId, String execId, int signal, boolean all) {
        mainProcessOnly(containerId, execId);
        WasmContainer c = get(containerId);
        killWith(c, signal <= 0 ? 9 : signal, null);
    }

    private void killWith(WasmContainer c, int signal, String reason) {
        boolean wasCreated = c.state() instanceof ContainerState.Created;
        c.kill(signal, reason);
        if (wasCreated && c.state() instanceof ContainerState.Exited) {
            exited(c);
        }
    }

    @Override
    public void exec(ExecProcess request) {
        get(request.containerId());
        throw new SandboxException(Reason.UNIMPLEMENTED, NO_SHELL);
    }

    @Override
    public void resizePty(String containerId, String execId, int width, int height) {
        get(containerId);
        throw new SandboxException(Reason.UNIMPLEMENTED, "a Wasm container has no terminal to resize");
    }

    @Override
    public void closeIO(String containerId, String execId) {
        mainProcessOnly(containerId, execId);
        get(containerId).closeStdin();
    }

    @Override
    public void reopenLog(String containerId) {
        try {
            get(containerId).reopenLog();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "container " + containerId + ": cannot reopen its log: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void update(String containerId, Resources resources) {
        WasmContainer c = get(containerId);
        if (resources != null) {
            c.memoryLimit(resources.memoryLimitBytes());
        }
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String containerId, String execId) {
        mainProcessOnly(containerId, execId);
        return get(containerId).exit().copy();
    }

    @Override
    public ContainerStats stats(String containerId) {
        WasmContainer c = get(containerId);
        ContainerState s = c.state();
        long memory = s instanceof ContainerState.Running ? c.memoryBytes() : 0;
        boolean oom = s instanceof ContainerState.Exited e && ModuleRun.OOM_REASON.equals(e.exit().reason());
        return new ContainerStats(env.clock().instant(), c.cpuNanos(), memory, memory, memory, 0, 0,
                s instanceof ContainerState.Running ? 1 : 0, oom ? 1 : 0);
    }

    @Override
    public TaskInfo state(String containerId, String execId) {
        mainProcessOnly(containerId, execId);
        return info(get(containerId));
    }

    private static TaskInfo info(WasmContainer c) {
        ContainerState s = c.state();
        return new TaskInfo(c.id(), "", 0, s.status(), s instanceof ContainerState.Exited e ? e.exit() : null);
    }

    @Override
    public AutoCloseable subscribe(TaskEventListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Kills every module of the pod and waits (bounded) for each to end. */
    void stopAll(java.time.Duration wait, String reason) {
        for (WasmContainer c : containers.values()) {
            killWith(c, 9, reason);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (WasmContainer c : containers.values()) {
            try {
                c.exit().get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.warning("wasm container " + c.id() + " did not end within " + wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Unmounts every container's filesystem (pod shutdown). */
    void releaseAll() throws IOException {
        for (WasmContainer c : containers.values()) {
            c.discard();
            env.fs().unmount(c.dir());
        }
        containers.clear();
    }

    private static void unmountQuietly(ContainerFs fs, Path dir, Throwable cause) {
        try {
            fs.unmount(dir);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    private void unmountQuietly(Path dir, Throwable cause) {
        unmountQuietly(env.fs(), dir, cause);
    }
}
