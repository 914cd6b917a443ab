package io.atrium.bench;

import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the node JVM's memory is made of, idle and with pods: native memory tracking summary,
 * threads by name, top of the class histogram. Runs the node with bin/atrium's own options
 * (NMT added through JAVA_TOOL_OPTIONS). Output: docs/benchmarks/diagnosis.txt.
 */
final class Diagnose {
    private Diagnose() {
    }

    static void main(Map<String, String> o) throws Exception {
        Path out = Path.of(o.get("out")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("atrium-diagnose-");
        Path tarball = Files.copy(Path.of(o.get("tarball")), work.resolve("atrium.tar.gz"));
        long settle = Long.parseLong(o.get("settle")) * 1000;
        StringBuilder report = new StringBuilder();
        try (TestRegistry registry = new TestRegistry(Files.createDirectories(work.resolve("registry")))) {
            Images images = Images.push(registry);
            Path dir = Files.createDirectories(work.resolve("node"));
            Path home = AtriumNode.unpack(tarball, dir);
            Processes.run(300, home.resolve("bin/atrium").toString(), "cds");
            try (AtriumNode node = new AtriumNode(dir, home, null, Map.of("JAVA_TOOL_OPTIONS", "-XX:NativeMemoryTracking=summary"));
                 CriClient cri = CriClient.connect(node.criSocket())) {
                Pods.pull(cri, images.sleep);
                Thread.sleep(settle);
                dump(report, node, "idle");
                Pods p = new Pods(cri, node, images.sleep, "", Images.SLEEP);
                List<Pods.Started> all = new ArrayList<>(p.start("d50", 50, 10).pods());
                Thread.sleep(settle);
                dump(report, node, "50 pods");
                all.addAll(p.start("d100", 50, 10).pods());
                Thread.sleep(settle);
                dump(report, node, "100 pods");
                p.removeAll(all, 10);
                Thread.sleep(settle);
                dump(report, node, "after removing all");
            }
        } finally {
            Files.createDirectories(out.resolve("benchmarks"));
            Files.writeString(out.resolve("benchmarks/diagnosis.txt"), report.toString());
            Processes.unmountAndDelete(work);
        }
        System.out.println(report);
    }

    private static void dump(StringBuilder r, AtriumNode node, String when) throws Exception {
        String pid = Long.toString(node.daemonPid());
        ProcMem.Mem m = node.managementMemory();
        r.append("==== ").append(when).append(String.format(": PSS %.1f MiB, RSS %.1f MiB%n", m.pssKb() / Bench.MIB, m.rssKb() / Bench.MIB));
        for (String line : Processes.run(60, "jcmd", pid, "VM.native_memory", "summary").lines().toList()) {
            if (line.startsWith("Total") || line.matches("^-\\s+.*committed=.*")) {
                r.append(line.replaceAll("reserved=\\d+KB, ", "")).append('\n');
            }
        }
        Map<String, Integer> threads = new TreeMap<>();
        for (String line : Processes.run(60, "jcmd", pid, "Thread.print").lines().toList()) {
            if (line.startsWith("\"")) {
                threads.merge(line.substring(1, line.indexOf('"', 1)).replaceAll("\\d+", "N"), 1, Integer::sum);
            }
        }
        r.append("threads: ").append(threads.values().stream().mapToInt(Integer::intValue).sum()).append(' ').append(threads).append('\n');
        List<String> histo = Processes.run(60, "jcmd", pid, "GC.class_histogram").lines().toList();
        r.append("class histogram (after a full GC), top 12 and total:\n");
        histo.stream().skip(1).limit(14).forEach(l -> r.append(l).append('\n'));
        histo.stream().filter(l -> l.startsWith("Total")).forEach(l -> r.append(l).append('\n'));
        r.append('\n');
    }
}
