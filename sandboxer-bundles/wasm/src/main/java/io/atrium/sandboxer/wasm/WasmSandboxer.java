package io.atrium.sandboxer.wasm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.Platform;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxMetrics;
import io.atrium.sandbox.api.SandboxReady;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.SandboxState;
import io.atrium.sandbox.api.SandboxStatus;
import io.atrium.sandbox.api.SandboxUpdate;
import io.atrium.sandbox.api.Sandboxer;
import io.atrium.sandbox.api.SandboxerInfo;
import io.atrium.sandbox.api.TaskEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The Wasm sandboxer: WASI preview 1 containers run by Chicory inside the node JVM.
 *
 * <p>A pod is a record; a container is a module instance on a thread of its own, its filesystem
 * the image snapshot mounted by this sandboxer with CRI mounts bound into it. Nothing runs outside
 * the JVM, so a bundle update cannot hand running modules over: {@link #close()} stops them and
 * records them as exited with reason {@value #STOPPED_BY_UPDATE}; the next instance reads the
 * records and serves those pods, and new containers run on the new bundle.
 */
@Component(service = Sandboxer.class, property = Sandboxer.NAME_PROPERTY + "=" + WasmSandboxer.NAME,
        configurationPid = "io.atrium.sandboxer.wasm")
@Designate(ocd = WasmConfig.class)
public final class WasmSandboxer implements Sandboxer, AutoCloseable {
    static final String NAME = "wasm";
    static final String STOPPED_BY_UPDATE = "WasmSandboxerStopped";
    static final Platform WASI_WASM = new Platform("wasi", "wasm", "");
    private static final Logger LOG = Logger.getLogger(WasmSandboxer.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final WasmEnvironment env;
    private final Duration stopWait;
    private final Map<String, WasmPod> pods = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<ExitStatus>> podExits = new ConcurrentHashMap<>();
    private final List<String> unreadable = new ArrayList<>();

    @Activate
    public WasmSandboxer(BundleContext context, WasmConfig config) throws IOException {
        this(new NodePaths(Path.of(context.getProperty(NodePaths.ROOT_PROPERTY)),
                Path.of(context.getProperty(NodePaths.STATE_PROPERTY))),
                ModuleCache.Execution.valueOf(config.execution().trim().toUpperCase(Locale.ROOT)),
                config.module_cache_entries(), config.thread_stack_kib() * 1024L,
                Duration.ofMillis(config.stop_wait_ms()), config.fsync());
    }

    WasmSandboxer(NodePaths paths, ModuleCache.Execution execution, int cacheEntries, long stackBytes, Duration stopWait,
            boolean fsync) throws IOException {
        this.stopWait = stopWait;
        Path run = paths.sandboxerRun(NAME).resolve("pods");
        Files.createDirectories(run);
        ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        this.env = new WasmEnvironment(run, new ModuleCache(execution, cacheEntries),
                new ContainerFs(new Mounts(new Syscalls())), new PodStore(paths.sandboxerState(NAME), fsync), json,
                stackBytes, Clock.systemUTC());
        readoptAll();
    }

    /** Puts back every pod the previous instance recorded; its modules ended with it. */
    private void readoptAll() throws IOException {
        for (PodStore.PodRecord r : env.store().loadAll(unreadable)) {
            WasmPod pod = new WasmPod(r.id(), r.name(), r.namespace(), r.uid(), Instant.parse(r.createdAt()),
                    SandboxState.valueOf(r.state()), r.stoppedAt() == null ? null : Instant.parse(r.stoppedAt()), env);
            for (PodStore.ContainerRecord c : r.containers().values()) {
                pod.tasks().readopt(new WasmContainer(c.id(), Path.of(c.dir()), null, null, recordedState(c), env.clock()));
            }
            pods.put(r.id(), pod);
            if (pod.state() == SandboxState.STOPPED) {
                podExits.put(r.id(), CompletableFuture.completedFuture(ExitStatus.of(0, Instant.parse(r.stoppedAt()))));
            }
            pod.persist();
        }
        unreadable.forEach(p -> LOG.severe("cannot re-adopt wasm pod record " + p));
    }

    private ContainerState recordedState(PodStore.ContainerRecord c) {
        Instant created = Instant.parse(c.createdAt());
        Instant started = c.startedAt() == null ? null : Instant.parse(c.startedAt());
        if (c.exitCode() != null) {
            return new ContainerState.Exited(created, started, new ExitStatus(c.exitCode(), c.signal() == null ? 0 : c.signal(),
                    Instant.parse(c.exitedAt()), c.reason()));
        }
        // no exit recorded: the JVM itself went away (crash, restart) and the module with it
        return new ContainerState.Exited(created, started,
                ExitStatus.unknown(env.clock().instant(), started == null ? "NeverStarted" : "NodeRestarted"));
    }

    private WasmPod pod(String id) {
        WasmPod p = pods.get(id);
        if (p == null) {
            throw SandboxException.notFound("wasm pod", id);
        }
        return p;
    }

    @Override
    public String create(SandboxSpec spec) {
        if (!ID.matcher(spec.id()).matches()) {
            throw SandboxException.invalid("sandbox id " + spec.id() + " is not a valid name");
        }
        WasmPod pod = new WasmPod(spec.id(), spec.name(), spec.namespace(), spec.uid(), env.clock().instant(),
                SandboxState.CREATED, null, env);
        if (pods.putIfAbsent(spec.id(), pod) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "wasm pod " + spec.id() + " exists");
        }
        try {
            pod.persist();
        } catch (RuntimeException e) {
            pods.remove(spec.id(), pod);
            throw new SandboxException(Reason.INTERNAL, "cannot record wasm pod " + spec.id() + ": " + e.getMessage(), e);
        }
        podExits.put(spec.id(), new CompletableFuture<>());
        return spec.id();
    }

    @Override
    public SandboxReady start(String sandboxId) {
        WasmPod pod = pod(sandboxId);
        SandboxState s = pod.state();
        if (s == SandboxState.CREATED) {
            pod.state(SandboxState.READY, env.clock().instant());
        } else if (s != SandboxState.READY) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "wasm pod " + sandboxId + " is " + s + " and cannot start");
        }
        return new SandboxReady(sandboxId, new TaskEndpoint.InProcess(pod.tasks()), 0, pod.createdAt(),
                Map.of("network", "none: WASI preview 1 has no sockets"));
    }

    @Override
    public Platform platform(String sandboxId) {
        pod(sandboxId);
        return WASI_WASM;
    }

    @Override
    public void stop(String sandboxId, Duration timeout) {
        WasmPod pod = pod(sandboxId);
        pod.tasks().stopAll(timeout == null || timeout.isNegative() ? Duration.ZERO : timeout, null);
        Instant now = env.clock().instant();
        pod.state(SandboxState.STOPPED, now);
        podExits.computeIfAbsent(sandboxId, k -> new CompletableFuture<>()).complete(ExitStatus.of(0, now));
    }

    @Override
    public CompletionStage<ExitStatus> waitExit(String sandboxId) {
        pod(sandboxId);
        return podExits.computeIfAbsent(sandboxId, k -> new CompletableFuture<>()).copy();
    }

    @Override
    public SandboxStatus status(String sandboxId, boolean verbose) {
        WasmPod pod = pod(sandboxId);
        Map<String, String> info = new LinkedHashMap<>();
        info.put("containers", String.valueOf(pod.tasks().containers().size()));
        if (verbose) {
            info.put("execution", env.modules().execution().name().toLowerCase(Locale.ROOT));
            info.put("network", "none");
        }
        return pod.status(info);
    }

    @Override
    public void shutdown(String sandboxId) {
        WasmPod pod = pods.get(sandboxId);
        if (pod == null) {
            return;
        }
        pod.tasks().stopAll(stopWait, null);
        try {
            pod.tasks().releaseAll();
            env.fs().unmount(env.run().resolve(sandboxId));
            env.store().remove(sandboxId);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot release wasm pod " + sandboxId + ": " + e.getMessage(), e);
        }
        pods.remove(sandboxId, pod);
        podExits.computeIfAbsent(sandboxId, k -> new CompletableFuture<>())
                .complete(ExitStatus.of(0, env.clock().instant()));
        podExits.remove(sandboxId);
    }

    @Override
    public SandboxMetrics metrics(String sandboxId) {
        WasmPod pod = pod(sandboxId);
        long cpu = 0;
        long memory = 0;
        long running = 0;
        for (WasmContainer c : pod.tasks().containers()) {
            cpu += c.cpuNanos();
            memory += c.memoryBytes();
            running += c.state() instanceof ContainerState.Running ? 1 : 0;
        }
        return new SandboxMetrics(env.clock().instant(), cpu, memory, memory, running);
    }

    @Override
    public void update(String sandboxId, SandboxUpdate update) {
        pod(sandboxId); // pod-level limits have nothing to act on: each container carries its own
    }

    @Override
    public TaskEndpoint tasks(String sandboxId) {
        WasmPod pod = pod(sandboxId);
        return new TaskEndpoint.InProcess(pod.tasks());
    }

    @Override
    public List<SandboxStatus> list() {
        List<SandboxStatus> all = new ArrayList<>();
        for (String id : pods.keySet()) {
            try {
                all.add(status(id, false));
            } catch (SandboxException e) {
                // removed meanwhile
            }
        }
        return all;
    }

    @Override
    public SandboxerInfo info() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("execution", env.modules().execution().name().toLowerCase(Locale.ROOT));
        details.put("cachedModules", String.valueOf(env.modules().size()));
        details.put("pods", String.valueOf(pods.size()));
        if (!unreadable.isEmpty()) {
            details.put("unreadableRecords", String.join("; ", unreadable));
        }
        return new SandboxerInfo("chicory 1.7.5, WASI preview 1, in-JVM", details);
    }

    /** Compiled-module cache, for tests and {@code atrium sandboxers}. */
    ModuleCache modules() {
        return env.modules();
    }

    /**
     * Stops every running module (a module cannot outlive the bundle whose classes run it) and
     * records it as exited with reason {@value #STOPPED_BY_UPDATE}. Pods and mounts stay for the
     * next instance.
     */
    @Deactivate
    @Override
    public void close() {
        for (WasmPod pod : pods.values()) {
            try {
                pod.tasks().stopAll(stopWait, STOPPED_BY_UPDATE);
                pod.persist();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot stop wasm pod " + pod.id() + " cleanly", e);
            }
        }
    }
}
