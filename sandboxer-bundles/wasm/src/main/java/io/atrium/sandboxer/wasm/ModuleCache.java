package io.atrium.sandboxer.wasm;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.atrium.sandbox.api.SandboxException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Parsed (and, in compiler mode, compiled to JVM bytecode) modules keyed by the SHA-256 of their
 * bytes, so every container of an image — and of any image carrying the same module — shares one
 * compiled form. Concurrent first users wait for a single compilation. Least recently used
 * entries beyond {@code capacity} are dropped; containers still running keep theirs alive.
 */
final class ModuleCache {

    /** How modules run: Chicory's interpreter, or its runtime compiler (Wasm → JVM bytecode). */
    enum Execution { INTERPRETER, COMPILER }

    /** One module ready to instantiate any number of times. */
    record CompiledModule(String digest, WasmModule module, Function<Instance, Machine> machines) {
    }

    private final Execution execution;
    private final int capacity;
    private final Map<String, CompletableFuture<CompiledModule>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicLong compilations = new AtomicLong();

    ModuleCache(Execution execution, int capacity) {
        this.execution = execution;
        this.capacity = Math.max(1, capacity);
    }

    Execution execution() {
        return execution;
    }

    /** How many modules were parsed and compiled so far (each digest once while cached). */
    long compilations() {
        return compilations.get();
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    CompiledModule get(String containerId, byte[] wasm) {
        String digest = "sha256:" + sha256(wasm);
        CompletableFuture<CompiledModule> mine = new CompletableFuture<>();
        CompletableFuture<CompiledModule> cached;
        synchronized (entries) {
            cached = entries.putIfAbsent(digest, mine);
            if (cached == null && entries.size() > capacity) {
                var eldest = entries.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
        }
        if (cached == null) {
            try {
                mine.complete(compile(digest, wasm));
            } catch (RuntimeException | StackOverflowError e) {
                synchronized (entries) {
                    entries.remove(digest, mine);
                }
                mine.completeExceptionally(e);
            }
            cached = mine;
        }
        try {
            return cached.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            throw SandboxException.invalid("container " + containerId + ": not a valid WebAssembly module ("
                    + digest + "): " + cause.getMessage());
        }
    }

    private CompiledModule compile(String digest, byte[] wasm) {
        WasmModule module = Parser.parse(wasm);
        compilations.incrementAndGet();
        Function<Instance, Machine> machines = execution == Execution.COMPILER
                ? MachineFactoryCompiler.compile(module)
                : InterpreterMachine::new;
        return new CompiledModule(digest, module, machines);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
