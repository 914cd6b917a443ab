package io.atrium.bench;

import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whole-node benchmark: containerd 1.6 (CRI plugin, runc v2 shims) and the Atrium node, each
 * started fresh with its own root and state, driven in alternation through the project's
 * Java CRI client with the same pod and container specs.
 *
 * <pre>
 * bench/run.sh [--reps 3] [--counts 10,50,100] [--latency-n 50] [--runtimes containerd,atrium,atrium-wasm]
 *              [--tarball FILE] [--out DIR] [--settle 10] [--report-only]
 * bench/run.sh --jvm-options   # footprint of the node JVM under option sets (see JvmOptions)
 * bench/run.sh --diagnose      # NMT, threads and class histogram of the node, idle and with pods
 * </pre>
 */
public final class Bench {
    static final double MIB = 1024.0;
    /** Wasm pods on the Atrium node (handler "wasm"); containerd has no counterpart here. */
    static final String WASM = "atrium-wasm";

    final Map<String, String> opts = new HashMap<>();
    final Results results;
    final Path work;

    private Bench(Map<String, String> opts, Results results) throws Exception {
        this.opts.putAll(opts);
        this.results = results;
        this.work = Files.createTempDirectory("atrium-bench-");
    }

    /** The workload is busybox sleep; everything else a runtime runs is its management plane. */
    static boolean isManagement(ProcMem.Proc p) {
        return !p.comm().equals("sleep");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of(
                "reps", "3", "counts", "10,50,100", "latency-n", "50", "runtimes", "containerd,atrium",
                "tarball", "../distribution/target/atrium-0.1.0-SNAPSHOT.tar.gz", "out", "../docs", "settle", "10"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i].replaceFirst("^--", "");
            if (a.equals("report-only") || a.equals("jvm-options") || a.equals("diagnose")) {
                o.put(a, "true");
            } else {
                o.put(a, args[++i]);
            }
        }
        Path out = Path.of(o.get("out")).toAbsolutePath().normalize();
        Path json = out.resolve("benchmarks/results.json");
        if (o.containsKey("report-only")) {
            Report.write(Results.load(json), out);
            return;
        }
        if (o.containsKey("diagnose")) {
            Diagnose.main(o);
            return;
        }
        if (o.containsKey("jvm-options")) {
            JvmOptions.main(o);
            return;
        }
        Files.createDirectories(json.getParent());
        Results r = new Results();
        Bench b = new Bench(o, r);
        try {
            b.machine();
            b.runAll();
        } finally {
            r.save(json);
            Report.write(r, out);
            Processes.unmountAndDelete(b.work);
        }
    }

    private void machine() throws Exception {
        Map<String, String> m = results.machine;
        m.put("date", Instant.now().toString());
        m.put("kernel", Processes.run(10, "uname", "-r"));
        m.put("os", "Debian " + Files.readString(Path.of("/etc/debian_version")).trim());
        m.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                break;
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal")) {
                m.put("memory", Math.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / MIB / MIB) + " GiB");
            }
        }
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("containerd", Processes.run(10, "/usr/bin/containerd", "--version"));
        m.put("runc", Processes.run(10, "/usr/sbin/runc", "--version").lines().findFirst().orElse(""));
        m.put("reps", opts.get("reps"));
        m.put("settle_seconds", opts.get("settle"));
        m.put("command", "bench/run.sh " + String.join(" ", opts.entrySet().stream()
                .filter(e -> !e.getKey().equals("out") && !e.getKey().equals("tarball")).map(e -> "--" + e.getKey() + " " + e.getValue()).toList()));
    }

    private void runAll() throws Exception {
        int reps = Integer.parseInt(opts.get("reps"));
        List<String> runtimes = Arrays.asList(opts.get("runtimes").split(","));
        // a private copy: other builds may replace the tarball while the benchmark runs
        Path tarball = Files.copy(Path.of(opts.get("tarball")), work.resolve("atrium.tar.gz"));
        try (TestRegistry registry = new TestRegistry(Files.createDirectories(work.resolve("registry")))) {
            Images images = Images.push(registry);
            if (runtimes.contains(WASM)) {
                images.pushWasm(registry, work);
            }
            for (int rep = 0; rep < reps; rep++) {
                List<String> order = new ArrayList<>(runtimes);
                if (rep % 2 == 1) {
                    java.util.Collections.reverse(order); // alternate who goes first
                }
                for (String rt : order) {
                    log("rep " + (rep + 1) + "/" + reps + ": " + rt);
                    Path dir = Files.createDirectories(work.resolve(rt + "-" + rep));
                    try {
                        runOne(rt, dir, tarball, registry, images, rep);
                    } catch (Exception e) {
                        results.notes.add("rep " + (rep + 1) + " " + rt + " failed: " + e);
                        log("FAILED " + rt + ": " + e);
                        e.printStackTrace();
                    }
                }
            }
        }
    }

    private void runOne(String rt, Path dir, Path tarball, TestRegistry registry, Images images, int rep) throws Exception {
        boolean wasm = rt.equals(WASM);
        if (wasm && images.wasm == null) {
            results.notes.add("Wasm pods skipped: no wasm32-wasi compiler to build the workload module");
            return;
        }
        try (Node node = rt.equals("containerd") ? new ContainerdNode(dir, registry.host(), images.pause) : installAtrium(dir, tarball);
             CriClient cri = CriClient.connect(node.criSocket())) {
            results.machine.put(rt + "_version", node.version());
            if (node instanceof AtriumNode) {
                String cmd = ProcMem.table().get(node.daemonPid()).cmdline();
                results.machine.put("atrium_jvm_options", cmd.replaceAll(" -cp .*", "").replaceFirst("^\\S+ ", ""));
            }
            if (rt.equals("containerd")) {
                Pods.pull(cri, images.pause);
            }
            String image = wasm ? images.wasm : images.sleep;
            Pods.pull(cri, image);
            Pods pods = new Pods(cri, node, image, wasm ? "wasm" : "", wasm ? Images.WASM_SLEEP : Images.SLEEP);
            settle();
            ProcMem.Mem idle = node.managementMemory();
            record(rt, "idle", idle);
            try {
                for (String c : opts.get("counts").split(",")) {
                    int n = Integer.parseInt(c);
                    log(rt + ": " + n + " pods, concurrency 10");
                    Pods.Batch b = pods.start("m" + rep + "-" + n, n, Math.min(10, n));
                    timing(rt, "start.c10.n" + n, b);
                    settle();
                    ProcMem.Mem m = node.managementMemory();
                    record(rt, "pods" + n, m);
                    int running = pods.running();
                    if (running != n) {
                        results.notes.add(rt + ", rep " + (rep + 1) + ": " + running + " of " + n + " containers RUNNING when memory was read");
                    }
                    results.add(rt, "pods" + n + ".marginal_pss_kb", (m.pssKb() - idle.pssKb()) / (double) n);
                    results.add(rt, "pods" + n + ".marginal_rss_kb", (m.rssKb() - idle.rssKb()) / (double) n);
                    results.add(rt, "remove.c10.n" + n + ".makespan_s", pods.removeAll(b.pods(), Math.min(10, n)));
                }
                int n = Integer.parseInt(opts.get("latency-n"));
                log(rt + ": " + n + " pods, concurrency " + n);
                Pods.Batch all = pods.start("p" + rep, n, n);
                timing(rt, "start.cN.n" + n, all);
                results.add(rt, "remove.cN.n" + n + ".makespan_s", pods.removeAll(all.pods(), n));
                log(rt + ": " + n + " pods, sequential");
                Pods.Batch seq = pods.start("s" + rep, n, 1);
                timing(rt, "start.c1.n" + n, seq);
                results.add(rt, "remove.c1.n" + n + ".makespan_s", pods.removeAll(seq.pods(), 1));
                settle();
                record(rt, "after", node.managementMemory());
            } finally {
                pods.sweep();
            }
        }
    }

    /** Unpacks the tarball and builds the class-data sharing archive, as an install would. */
    private static AtriumNode installAtrium(Path dir, Path tarball) throws Exception {
        Path home = AtriumNode.unpack(tarball, dir);
        try {
            Processes.run(300, home.resolve("bin/atrium").toString(), "cds");
        } catch (java.io.IOException e) {
            log("no CDS archive: " + e.getMessage().lines().findFirst().orElse(""));
        }
        return new AtriumNode(dir, home, null, Map.of());
    }

    private void record(String rt, String what, ProcMem.Mem m) {
        results.add(rt, what + ".pss_kb", m.pssKb());
        results.add(rt, what + ".rss_kb", m.rssKb());
        results.add(rt, what + ".processes", m.processes());
        log(String.format("%s %s: PSS %.1f MiB, RSS %.1f MiB, %d processes", rt, what, m.pssKb() / MIB, m.rssKb() / MIB, m.processes()));
    }

    private void timing(String rt, String scenario, Pods.Batch b) {
        List<Double> l = b.latencies();
        results.samples(rt, scenario, l);
        results.add(rt, scenario + ".makespan_s", b.makespanSeconds());
        results.add(rt, scenario + ".p50_s", Stats.percentile(l, 50));
        results.add(rt, scenario + ".p99_s", Stats.percentile(l, 99));
        log(String.format("%s %s: makespan %.2f s, p50 %.3f s, p99 %.3f s", rt, scenario, b.makespanSeconds(),
                Stats.percentile(l, 50), Stats.percentile(l, 99)));
    }

    private void settle() throws InterruptedException {
        Thread.sleep(Long.parseLong(opts.get("settle")) * 1000);
    }

    static void log(String s) {
        System.out.println("[bench " + Instant.now() + "] " + s);
        System.out.flush();
    }
}
