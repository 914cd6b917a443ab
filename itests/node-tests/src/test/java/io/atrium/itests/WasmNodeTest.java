package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStatus;
import io.atrium.cri.v1.ExecSyncRequest;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxContainerConfig;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.Mount;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.atrium.cri.v1.StopContainerRequest;
import io.atrium.engine.images.testing.ImageWriter;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Wasm pods end to end: a real node from the tarball, runtime handler {@code wasm}, an image whose
 * index has a {@code wasi/wasm} entry pulled from a real local registry over the CRI socket, and
 * modules compiled from C in the test ({@code sandboxer-bundles/wasm/src/test/c}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WasmNodeTest {
    private static final Path C_SOURCES = Path.of("../../sandboxer-bundles/wasm/src/test/c");
    private static final List<String> MODULES = List.of("hello", "exit3", "rowrite", "spin", "grow");

    @AutoClose
    private CriTestNode testNode;
    private String image;
    private String wasmImageId;
    private String linuxImageId;
    private String bothRef;

    @BeforeAll
    void start() throws Exception {
        testNode = CriTestNode.create(WasmNodeTest.class, "atrium-wasm-it", "wasm", 120);
        Map<String, byte[]> modules = new LinkedHashMap<>();
        for (String m : MODULES) {
            modules.put(m, compile(m));
        }
        ImageWriter.Image wasm = ImageWriter.image("wasi", "wasm", Map.of("Entrypoint", List.of("/hello.wasm"),
                "Env", List.of("GREETING=from-the-image")), List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> {
                    for (var e : modules.entrySet()) {
                        ImageWriter.file(t, e.getKey() + ".wasm", e.getValue());
                    }
                }))));
        // a Linux image whose "entrypoint" is no module: what a wasm pod gets when the wrong entry was pulled
        ImageWriter.Image linux = ImageWriter.image("amd64", Map.of("Cmd", List.of("/bin/sh")),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> {
                    ImageWriter.dir(t, "bin");
                    ImageWriter.file(t, "bin/sh", "#!not really a shell\n", 0755);
                }))));
        ImageWriter.Image arm = ImageWriter.image("arm64", Map.of("Cmd", List.of("/bin/sh")),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "arm", "arm64", 0644)))));
        Map<String, ImageWriter.Image> wasmAndArm = new LinkedHashMap<>();
        wasmAndArm.put("linux/arm64/v8", arm);
        wasmAndArm.put("wasi/wasm", wasm);
        ImageWriter.pushIndex(testNode.registry.url(), "it/wasm", "1", ImageWriter.index(wasmAndArm), List.of(arm, wasm));
        Map<String, ImageWriter.Image> both = new LinkedHashMap<>();
        both.put("wasi/wasm", wasm);
        both.put("linux/amd64", linux);
        ImageWriter.pushIndex(testNode.registry.url(), "it/both", "1", ImageWriter.index(both), List.of(wasm, linux));
        image = testNode.useImage(testNode.registry.host() + "/it/wasm:1");
        bothRef = testNode.registry.host() + "/it/both:1";
        wasmImageId = wasm.config().digest();
        linuxImageId = linux.config().digest();
        testNode.start(Map.of());
    }

    private static byte[] compile(String name) throws IOException, InterruptedException {
        Path out = Files.createDirectories(Path.of("target/wasm-modules")).resolve(name + ".wasm");
        Process p = new ProcessBuilder("clang", "--target=wasm32-wasi", "-O2", "-o", out.toString(),
                C_SOURCES.resolve(name + ".c").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("clang --target=wasm32-wasi failed for " + name
                    + " (install clang lld wasi-libc libclang-rt-14-dev-wasm32: scripts/install-deps.sh --tests):\n" + log);
        }
        return Files.readAllBytes(out);
    }

    private RuntimeServiceBlockingStub rt() {
        return testNode.rt();
    }

    private PodSandboxConfig pod(String name) {
        return testNode.pod(name, "wasm-it", "uid-" + name).build();
    }

    private ContainerStatus awaitExit(String id, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ContainerStatus s = testNode.status(id);
        while (s.getState() != ContainerState.CONTAINER_EXITED && System.nanoTime() < deadline) {
            Thread.sleep(50);
            s = testNode.status(id);
        }
        assertEquals(ContainerState.CONTAINER_EXITED, s.getState(), "exited within " + seconds + " s: " + s);
        return s;
    }

    /** A pod with one container running {@code module}; returns its container id. */
    private String runModule(String name, ContainerConfig.Builder config) {
        PodSandboxConfig pc = pod(name);
        return testNode.createAndStart(testNode.runPod(pc), pc, config.build());
    }

    @Test
    @Order(1)
    void pullChoosesTheWasmEntryWhenTheIndexHasNoneForTheNode() {
        String ref = testNode.cri().image().pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(image)).build())
                .getImageRef();
        assertEquals(wasmImageId, ref, "linux/arm64 is not this node's; wasi/wasm is the fallback");
        // an index with both: the node's platform by default, wasi/wasm when the pod asks for it
        String plain = testNode.cri().image().pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(bothRef))
                .build()).getImageRef();
        assertEquals(linuxImageId, plain);
        String asked = testNode.cri().image().pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(bothRef))
                .setSandboxConfig(pod("asks").toBuilder().putAnnotations("atrium.io/platform", "wasi/wasm")).build()).getImageRef();
        assertEquals(wasmImageId, asked);
    }

    @Test
    @Order(2)
    void helloWorldGoesToTheCriLogAndExitsZero() throws Exception {
        String id = runModule("hello", testNode.container("hello", "/hello.wasm", "a", "last-arg"));
        ContainerStatus s = awaitExit(id, 60);
        assertEquals(0, s.getExitCode(), s.toString());
        assertEquals(testNode.logs.resolve("hello/hello/0.log").toString(), s.getLogPath());
        List<String> lines = Files.readAllLines(Path.of(s.getLogPath()));
        String all = String.join("\n", lines);
        String ts = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})";
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F hello from wasm")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F args=3 last=last-arg")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout F GREETING=from-the-image")), "image env: " + all);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stderr F to stderr")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches(ts + " stdout P no newline at the end")), all);
    }

    @Test
    @Order(3)
    void theImageEntrypointRunsAndExitCodesComeThrough() throws Exception {
        String hello = runModule("entrypoint", testNode.container("entrypoint"));
        assertEquals(0, awaitExit(hello, 60).getExitCode());
        assertTrue(Files.readString(testNode.logs.resolve("entrypoint/entrypoint/0.log")).contains("hello from wasm"));
        String id = runModule("exit3", testNode.container("exit3", "/exit3.wasm"));
        ContainerStatus s = awaitExit(id, 60);
        assertEquals(3, s.getExitCode(), s.toString());
        assertEquals("Error", s.getReason(), s.toString());
    }

    @Test
    @Order(4)
    void aReadOnlyMountRefusesWrites() throws Exception {
        Path ro = Files.createDirectories(testNode.work.resolve("ro-data"));
        Files.writeString(ro.resolve("present.txt"), "x");
        String id = runModule("rowrite", testNode.container("rowrite", "/rowrite.wasm").addMounts(Mount.newBuilder()
                .setHostPath(ro.toString()).setContainerPath("/ro").setReadonly(true)));
        ContainerStatus s = awaitExit(id, 60);
        assertEquals(7, s.getExitCode(), "the module saw the write refused: " + Files.readString(Path.of(s.getLogPath())));
        assertTrue(Files.readString(Path.of(s.getLogPath())).contains("refused:"));
        assertFalse(Files.exists(ro.resolve("new.txt")), "nothing written on the host");
    }

    @Test
    @Order(5)
    void anInfiniteLoopIsStoppedWithinTheTimeoutAndExecIsUnimplemented() throws Exception {
        String id = runModule("spin", testNode.container("spin", "/spin.wasm"));
        Path log = testNode.logs.resolve("spin/spin/0.log");
        for (int i = 0; i < 300 && !(Files.exists(log) && Files.readString(log).contains("spinning")); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(log).contains("spinning"), "the module is running");
        assertEquals(ContainerState.CONTAINER_RUNNING, testNode.status(id).getState());

        StatusRuntimeException exec = assertThrows(StatusRuntimeException.class, () -> rt().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(id).addCmd("/bin/sh").setTimeout(5).build()));
        assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, exec.getStatus().getCode(), exec.toString());
        assertTrue(String.valueOf(exec.getStatus().getDescription()).contains("exec"), exec.toString());

        long t0 = System.nanoTime();
        rt().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(10).build());
        long took = System.nanoTime() - t0;
        assertTrue(took < TimeUnit.SECONDS.toNanos(10), "stopped before the 10 s timeout: " + took / 1_000_000 + " ms");
        ContainerStatus s = testNode.status(id);
        assertEquals(ContainerState.CONTAINER_EXITED, s.getState());
        assertTrue(s.getExitCode() == 143 || s.getExitCode() == 137, "killed by a signal: " + s.getExitCode());
    }

    @Test
    @Order(6)
    void growingPastTheMemoryLimitIsOomKilled() throws Exception {
        String id = runModule("grow", testNode.container("grow", "/grow.wasm").setLinux(LinuxContainerConfig.newBuilder()
                .setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(16L << 20))));
        ContainerStatus s = awaitExit(id, 60);
        assertEquals("OOMKilled", s.getReason(), s.toString());
        assertEquals(137, s.getExitCode(), s.toString());
        assertFalse(Files.readString(Path.of(s.getLogPath())).contains("never limited"));
    }

    @Test
    @Order(7)
    void anImageWithoutTheModuleIsRefusedSayingWhy() {
        // test 1 re-pointed the tag at the wasm entry (a tag names one image); pulling without the annotation takes linux again
        assertEquals(linuxImageId, testNode.cri().image().pullImage(PullImageRequest.newBuilder()
                .setImage(ImageSpec.newBuilder().setImage(bothRef)).build()).getImageRef());
        PodSandboxConfig pc = pod("wrong-image");
        String podId = testNode.runPod(pc);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> testNode.create(podId, pc,
                testNode.container("linux").setImage(ImageSpec.newBuilder().setImage(linuxImageId)).build()));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains("not a WebAssembly module"), e.toString());
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> testNode.create(podId, pc,
                testNode.container("missing", "/missing.wasm").build()));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, missing.getStatus().getCode(), missing.toString());
        assertTrue(String.valueOf(missing.getStatus().getDescription()).contains("the image has no /missing.wasm"), missing.toString());
    }

    @Test
    @Order(8)
    void aHundredPodsStartAndFinishInParallel() throws Exception {
        int pods = 100;
        ExecutorService clients = Executors.newFixedThreadPool(8);
        long t0 = System.nanoTime();
        try {
            List<Future<String>> started = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                String name = "many-" + i;
                started.add(clients.submit(() -> runModule(name, testNode.container("c", "/hello.wasm", name))));
            }
            List<String> ids = new ArrayList<>();
            for (Future<String> f : started) {
                ids.add(f.get(300, TimeUnit.SECONDS));
            }
            for (int i = 0; i < pods; i++) {
                ContainerStatus s = awaitExit(ids.get(i), 120);
                assertEquals(0, s.getExitCode(), s.toString());
                assertTrue(Files.readString(Path.of(s.getLogPath())).contains("last=many-" + i), "pod " + i + " logged its own arg");
            }
        } finally {
            clients.shutdownNow();
        }
        long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertTrue(took < 240, pods + " pods took " + took + " s");
        System.out.println("WasmNodeTest: " + pods + " wasm pods created, started and finished in " + took + " s");
    }
}
