package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.CreateContainerRequest;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RemovePodSandboxRequest;
import io.atrium.cri.v1.RunPodSandboxRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StartContainerRequest;
import io.atrium.cri.v1.StopPodSandboxRequest;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Start latency through the CRI socket of a real node: RunPodSandbox + CreateContainer +
 * StartContainer until the first line is in the CRI log, for the wasm and the runc handler in the
 * same run. A measurement, not a test: runs only with {@code -Dwasm.bench=true}
 * ({@code -Dbench.pods=N}, default 40, after 5 warm-up pods per handler).
 */
class CriStartLatencyBenchmark {

    @Test
    void wasmAndRuncStartToFirstLogLine() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("wasm.bench"), "benchmark: run with -Dwasm.bench=true");
        int n = Integer.getInteger("bench.pods", 40);
        Path work = Files.createTempDirectory("atrium-bench-it");
        try (TestRegistry registry = new TestRegistry(Files.createDirectories(work.resolve("registry")));
                NodeProcess node = NodeProcess.unpack()) {
            byte[] hello = compileHello();
            ImageWriter.Image wasm = ImageWriter.image("wasi", "wasm", Map.of("Entrypoint", List.of("/hello.wasm")),
                    List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "hello.wasm", hello)))));
            ImageWriter.Image busybox = ImageWriter.image("amd64", Map.of("Cmd", List.of("sh"), "Env", List.of("PATH=/bin")),
                    List.of(ImageWriter.busyboxLayer()));
            registry.pushVia(wasm, "bench/wasm", "1");
            registry.pushVia(busybox, "bench/busybox", "1");
            Path config = work.resolve("atrium.toml");
            Files.writeString(config, Files.readString(node.home.resolve("conf/atrium.toml"))
                    + "\"atrium.metrics.address\" = \"127.0.0.1:0\"\n");
            node.start("--config", config.toString());
            try (CriClient cri = CriClient.connect(node.state.resolve("atrium.sock"))) {
                for (String ref : List.of("bench/wasm:1", "bench/busybox:1")) {
                    cri.image().pullImage(PullImageRequest.newBuilder()
                            .setImage(ImageSpec.newBuilder().setImage(registry.host() + "/" + ref)).build());
                }
                Path logs = work.resolve("logs");
                List<String> report = new ArrayList<>();
                report.add(measure(cri, logs, "wasm", registry.host() + "/bench/wasm:1", List.of(), n));
                report.add(measure(cri, logs, "runc", registry.host() + "/bench/busybox:1",
                        List.of("/bin/busybox", "echo", "hello"), n));
                System.out.println("CriStartLatencyBenchmark (load average " + Files.readString(Path.of("/proc/loadavg")).trim()
                        + "):\n" + String.join("\n", report));
            }
        }
    }

    private static String measure(CriClient cri, Path logs, String handler, String image, List<String> command, int n)
            throws Exception {
        for (int i = 0; i < 5; i++) {
            sample(cri, logs, handler, image, command, "warm-" + i);
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ms.add(sample(cri, logs, handler, image, command, "p-" + i));
        }
        Collections.sort(ms);
        return String.format("| %s | %d | %.1f ms | %.1f ms | %.1f ms |", handler, n, ms.get(n / 2),
                ms.get(Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)), ms.get(n - 1));
    }

    private static double sample(CriClient cri, Path logs, String handler, String image, List<String> command, String name)
            throws Exception {
        RuntimeServiceBlockingStub rt = cri.runtime().withDeadlineAfter(120, TimeUnit.SECONDS);
        String pod = handler + "-" + name;
        PodSandboxConfig pc = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(pod).setNamespace("bench").setUid("uid-" + pod))
                .setHostname(pod).setLogDirectory(logs.resolve(pod).toString()).build();
        Path log = logs.resolve(pod).resolve("c/0.log");
        long t0 = System.nanoTime();
        String podId = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pc)
                .setRuntimeHandler(handler.equals("runc") ? "" : handler).build()).getPodSandboxId();
        String id = rt.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setSandboxConfig(pc)
                .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("c"))
                        .setImage(ImageSpec.newBuilder().setImage(image)).addAllCommand(command).setLogPath("c/0.log"))
                .build()).getContainerId();
        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(log) && Files.size(log) > 0 && Files.readString(log).contains("\n"))) {
            assertTrue(System.nanoTime() < deadline, "no first log line from " + pod);
            Thread.onSpinWait();
            Thread.sleep(0, 200_000);
        }
        double took = (System.nanoTime() - t0) / 1e6;
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        return took;
    }

    private static byte[] compileHello() throws Exception {
        Path out = Files.createDirectories(Path.of("target/wasm-modules")).resolve("hello.wasm");
        Process p = new ProcessBuilder("clang", "--target=wasm32-wasi", "-O2", "-o", out.toString(),
                "../../sandboxer-bundles/wasm/src/test/c/hello.c").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("clang --target=wasm32-wasi failed:\n" + log);
        }
        return Files.readAllBytes(out);
    }
}
