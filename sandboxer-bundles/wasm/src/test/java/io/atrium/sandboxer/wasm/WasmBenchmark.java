package io.atrium.sandboxer.wasm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.TaskService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numbers for docs/benchmarks.md, not a test: {@code mvn surefire:test -Dtest=WasmBenchmark -Dwasm.bench=true}.
 * Each method still checks the runs it measures produced the right output.
 */
@EnabledIfSystemProperty(named = "wasm.bench", matches = "true")
class WasmBenchmark {
    @TempDir
    Path tmp;

    /** Interpreter vs runtime compiler on a CPU-bound module, and what the one-time compile costs. */
    @Test
    void interpreterVersusCompiler() throws Exception {
        for (ModuleCache.Execution mode : ModuleCache.Execution.values()) {
            try (WasmTestNode node = new WasmTestNode(tmp.resolve(mode.name()), mode)) {
                Path layer = node.layer("primes");
                TaskService tasks = node.pod("p");
                List<Long> millis = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Path log = tmp.resolve(mode + "-" + i + ".log");
                    long t0 = System.nanoTime();
                    tasks.create(node.task("c" + i, node.spec(List.of("/primes.wasm", "300000"), Map.of(), List.of(), 0),
                            node.snapshot(layer), log));
                    tasks.start("c" + i, null);
                    assertEquals(0, tasks.waitExit("c" + i, null).toCompletableFuture().get(600, TimeUnit.SECONDS).code());
                    millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    assertTrue(Files.readString(log).contains("primes below 300000: 25997"), Files.readString(log));
                }
                System.out.println("BENCH execution=" + mode + " primes(300000) ms per run (first includes compile): " + millis);
            }
        }
    }

    /** Create + start to the first log line, sequentially on a warm sandboxer, and memory per idle pod. */
    @Test
    void startLatencyAndIdlePodMemory() throws Exception {
        int pods = Integer.getInteger("wasm.bench.pods", 1000);
        try (WasmTestNode node = new WasmTestNode(tmp.resolve("n"), ModuleCache.Execution.COMPILER)) {
            Path layer = node.layer("hello");
            for (int i = 0; i < 50; i++) { // warm-up: JIT, module cache
                run(node, layer, "warm-" + i);
            }
            long[] nanos = new long[pods];
            for (int i = 0; i < pods; i++) {
                nanos[i] = run(node, layer, "pod-" + i);
            }
            Arrays.sort(nanos);
            System.out.printf("BENCH first-log-line pods=%d p50=%.2fms p99=%.2fms max=%.2fms%n", pods,
                    nanos[pods / 2] / 1e6, nanos[pods * 99 / 100] / 1e6, nanos[pods - 1] / 1e6);

            Runtime rt = Runtime.getRuntime();
            System.gc();
            Thread.sleep(200);
            long before = rt.totalMemory() - rt.freeMemory();
            int idle = 1000;
            for (int i = 0; i < idle; i++) {
                node.sandboxer.create(io.atrium.sandbox.api.SandboxSpec.of("idle-" + i, "idle-" + i, "default"));
                node.sandboxer.start("idle-" + i);
            }
            System.gc();
            Thread.sleep(200);
            long after = rt.totalMemory() - rt.freeMemory();
            System.out.printf("BENCH idle-pod heap growth=%d bytes per pod (%d pods)%n", (after - before) / idle, idle);
        }
    }

    private static long run(WasmTestNode node, Path layer, String pod) throws Exception {
        Path log = node.dir.resolve("logs").resolve(pod + ".log");
        long t0 = System.nanoTime();
        TaskService tasks = node.pod(pod);
        tasks.create(node.task("c", node.spec(List.of("/hello.wasm"), Map.of(), List.of(), 0), node.snapshot(layer), log));
        tasks.start("c", null);
        while (!Files.exists(log) || Files.size(log) == 0) {
            Thread.onSpinWait();
        }
        long took = System.nanoTime() - t0;
        assertEquals(0, tasks.waitExit("c", null).toCompletableFuture().get(60, TimeUnit.SECONDS).code());
        node.sandboxer.shutdown(pod);
        return took;
    }
}
