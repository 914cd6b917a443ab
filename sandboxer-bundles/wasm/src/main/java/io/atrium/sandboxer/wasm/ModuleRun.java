package io.atrium.sandboxer.wasm;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import io.atrium.sandbox.api.ExitStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.IntSupplier;

/**
 * One execution of a container's module: a fresh instance of the cached compiled module, WASI
 * preview 1 wired to the container's filesystem and streams, and {@code _start} called on the
 * calling thread. Every way a run can end becomes an {@link ExitStatus}.
 */
final class ModuleRun {
    static final int OOM_EXIT = 137;
    static final int TRAP_EXIT = 134;
    static final String OOM_REASON = "OOMKilled";

    private final ModuleCache.CompiledModule module;
    private final ContainerSpec spec;
    private final Path root;
    private final Clock clock;
    private volatile LimitedMemory memory;
    private volatile int limitPages;

    ModuleRun(ModuleCache.CompiledModule module, ContainerSpec spec, Path root, Clock clock) {
        this.module = module;
        this.spec = spec;
        this.root = root;
        this.clock = clock;
        this.limitPages = LimitedMemory.pagesFor(spec.memoryLimitBytes());
    }

    /** Linear memory in use, in bytes (0 before the instance exists). */
    long memoryBytes() {
        LimitedMemory m = memory;
        return m == null ? 0 : m.pages() * LimitedMemory.PAGE_BYTES;
    }

    void memoryLimit(long bytes) {
        limitPages = LimitedMemory.pagesFor(bytes);
        LimitedMemory m = memory;
        if (m != null) {
            m.limitPages(limitPages);
        }
    }

    /**
     * Runs the module to its end on this thread.
     *
     * @param killedBy the signal a kill asked for, 0 while nobody did; read when the thread is interrupted
     */
    ExitStatus run(InputStream stdin, OutputStream stdout, OutputStream stderr, IntSupplier killedBy) {
        WasiOptions.Builder options = WasiOptions.builder()
                .withClock(clock)
                .withStdin(stdin, spec.terminal())
                .withStdout(stdout, spec.terminal())
                .withStderr(stderr, spec.terminal())
                .withArguments(spec.args())
                .withDirectory("/", root);
        spec.env().forEach(options::withEnvironment);
        for (ContainerSpec.BindMount b : spec.mounts()) {
            options.withDirectory(b.destination(), root.resolve(b.destination().replaceFirst("^/+", "")));
        }
        try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(options.build()).build()) {
            Instance instance = Instance.builder(module.module())
                    .withMachineFactory(module.machines())
                    .withImportValues(ImportValues.builder()
                            .addFunction(NoSymlinkWasi.confine(wasi.toHostFunctions())).build())
                    .withMemoryFactory(limits -> {
                        LimitedMemory m = new LimitedMemory(limits, limitPages);
                        memory = m;
                        return m;
                    })
                    .withStart(false)
                    .build();
            ExportFunction start = instance.export("_start");
            start.apply();
            return exit(0, 0, "Completed");
        } catch (WasiExitException e) {
            return exit(e.exitCode(), 0, e.exitCode() == 0 ? "Completed" : "Error");
        } catch (LimitedMemory.MemoryLimitExceeded e) {
            report(stderr, "memory limit exceeded: " + e.getMessage());
            return new ExitStatus(OOM_EXIT, 9, clock.instant(), OOM_REASON);
        } catch (ChicoryInterruptedException e) {
            int signal = killedBy.getAsInt();
            return new ExitStatus(128 + (signal == 0 ? 9 : signal), signal == 0 ? 9 : signal, clock.instant(), "Error");
        } catch (TrapException e) {
            report(stderr, "wasm trap: " + e.getMessage());
            return exit(TRAP_EXIT, 0, "Error");
        } catch (StackOverflowError e) {
            report(stderr, "wasm trap: call stack exhausted");
            return exit(TRAP_EXIT, 0, "Error");
        } catch (ChicoryException e) {
            // missing _start, unknown imports (a module that is not a WASI command), unsupported calls
            report(stderr, "cannot run module: " + e.getMessage());
            return exit(1, 0, "Error");
        } catch (OutOfMemoryError e) {
            report(stderr, "the node JVM ran out of heap for this module");
            return new ExitStatus(OOM_EXIT, 9, clock.instant(), OOM_REASON);
        }
    }

    private ExitStatus exit(int code, int signal, String reason) {
        return new ExitStatus(code, signal, clock.instant(), reason);
    }

    /** The runtime's own last words go to the container's stderr, where kubectl logs shows them. */
    private static void report(OutputStream stderr, String message) {
        try {
            PrintStream p = new PrintStream(stderr, true, StandardCharsets.UTF_8);
            p.println("[atrium-wasm] " + message);
        } catch (RuntimeException ignored) {
            // the log is gone; the exit status still says what happened
        }
    }
}
