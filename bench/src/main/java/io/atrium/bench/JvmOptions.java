package io.atrium.bench;

import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Footprint of the node JVM under option sets, each on a fresh node: idle after the workload
 * image is pulled, then with 50 pods (concurrency 10), then after removing them. The option
 * sets are cumulative, so each row shows what one change adds. Output: a Markdown table on
 * stdout and docs/benchmarks/jvm-options.json.
 */
final class JvmOptions {
    record Variant(String name, String opts, Map<String, String> env, boolean cds) {
    }

    static final String BEFORE = "-XX:+UseSerialGC -Xms16m -Xmx512m -XX:MaxMetaspaceSize=256m -Xss512k -XX:+ExitOnOutOfMemoryError";
    static final String ARENAS = "2";

    static List<Variant> variants() {
        Map<String, String> arenas = Map.of("MALLOC_ARENA_MAX", ARENAS);
        String trim = " -XX:TrimNativeHeapInterval=10000";
        String c1 = " -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=48m";
        String heap = " -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30";
        String small = BEFORE.replace("-Xms16m", "-Xms8m -Xmn4m") + heap;
        String noReloc = " -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0";
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("A: before (bin/atrium as found)", BEFORE, Map.of(), false));
        v.add(new Variant("B: G1 instead of Serial (same heap limits)", BEFORE.replace("-XX:+UseSerialGC", "-XX:+UseG1GC"), Map.of(), false));
        v.add(new Variant("C: A + MALLOC_ARENA_MAX=2", BEFORE, arenas, false));
        v.add(new Variant("D: C + TrimNativeHeapInterval=10s", BEFORE + trim, arenas, false));
        v.add(new Variant("E: D + C1 only (TieredStopAtLevel=1)", BEFORE + trim + c1, arenas, false));
        v.add(new Variant("F: E + Xms8m/Xmn4m, heap free ratio 10–30%", small + trim + c1, arenas, false));
        v.add(new Variant("G: F + CDS archive mapped without relocation", small + trim + c1 + noReloc, arenas, false));
        v.add(new Variant("H: G + AppCDS archive (bin/atrium cds)", small + trim + c1 + noReloc, arenas, true));
        return v;
    }

    static void main(Map<String, String> o) throws Exception {
        Path out = Path.of(o.get("out")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("atrium-jvmopts-");
        Path tarball = Files.copy(Path.of(o.get("tarball")), work.resolve("atrium.tar.gz"));
        int pods = Integer.parseInt(o.getOrDefault("pods", "50"));
        long settle = Long.parseLong(o.get("settle")) * 1000;
        String only = o.get("only");
        Results r = new Results();
        try (TestRegistry registry = new TestRegistry(Files.createDirectories(work.resolve("registry")))) {
            Images images = Images.push(registry);
            int i = 0;
            for (Variant v : variants()) {
                i++;
                if (only != null && !only.contains(v.name().substring(0, 1))) {
                    continue;
                }
                Path dir = Files.createDirectories(work.resolve("v" + i));
                Path home = AtriumNode.unpack(tarball, dir);
                Map<String, String> env = new LinkedHashMap<>(v.env());
                String opts = v.opts();
                if (v.cds()) {
                    Processes.run(300, home.resolve("bin/atrium").toString(), "cds");
                    opts = opts + " -XX:SharedArchiveFile=" + home.resolve("lib/atrium.jsa");
                }
                Bench.log("variant " + v.name() + ": " + opts + " " + env);
                long launched = System.nanoTime();
                try (AtriumNode node = new AtriumNode(dir, home, opts, env); CriClient cri = CriClient.connect(node.criSocket())) {
                    r.add(v.name(), "ready_s", (System.nanoTime() - launched) / 1e9);
                    Pods.pull(cri, images.sleep);
                    Thread.sleep(settle);
                    put(r, v.name(), "idle", node.managementMemory());
                    Pods p = new Pods(cri, node, images.sleep, "", Images.SLEEP);
                    long t0 = System.nanoTime();
                    Pods.Batch b = p.start("j" + i, pods, 10);
                    r.add(v.name(), "start.makespan_s", (System.nanoTime() - t0) / 1e9);
                    Thread.sleep(settle);
                    put(r, v.name(), "pods", node.managementMemory());
                    p.removeAll(b.pods(), 10);
                    Thread.sleep(settle);
                    put(r, v.name(), "after", node.managementMemory());
                } catch (Exception e) {
                    r.notes.add(v.name() + " failed: " + e);
                    Bench.log("FAILED " + v.name() + ": " + e);
                }
                r.machine.put(v.name(), opts + (env.isEmpty() ? "" : " (env " + env + ")"));
                Files.createDirectories(out.resolve("benchmarks"));
                r.save(out.resolve("benchmarks/jvm-options.json"));
            }
        } finally {
            Processes.unmountAndDelete(work);
        }
        System.out.println(table(r, pods));
    }

    private static void put(Results r, String v, String what, ProcMem.Mem m) {
        r.add(v, what + ".pss_kb", m.pssKb());
        r.add(v, what + ".rss_kb", m.rssKb());
        Bench.log(String.format("  %s: PSS %.1f MiB, RSS %.1f MiB", what, m.pssKb() / Bench.MIB, m.rssKb() / Bench.MIB));
    }

    static String table(Results r, int pods) {
        StringBuilder s = new StringBuilder("| option set | idle PSS | idle RSS | " + pods + " pods PSS | " + pods
                + " pods RSS | growth PSS | after removal PSS | start makespan | node ready |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        r.figures.forEach((v, m) -> {
            double idle = Stats.median(m.getOrDefault("idle.pss_kb", List.of())) / Bench.MIB;
            double full = Stats.median(m.getOrDefault("pods.pss_kb", List.of())) / Bench.MIB;
            s.append(String.format("| %s | %.1f | %.1f | %.1f | %.1f | %+.1f | %.1f | %.1f s | %.1f s |%n", v, idle,
                    Stats.median(m.getOrDefault("idle.rss_kb", List.of())) / Bench.MIB, full,
                    Stats.median(m.getOrDefault("pods.rss_kb", List.of())) / Bench.MIB, full - idle,
                    Stats.median(m.getOrDefault("after.pss_kb", List.of())) / Bench.MIB,
                    Stats.median(m.getOrDefault("start.makespan_s", List.of())),
                    Stats.median(m.getOrDefault("ready_s", List.of()))));
        });
        return s.toString();
    }

    private JvmOptions() {
    }
}
