package io.atrium.bench;

import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/** The pause and workload images, built from busybox-static and pushed to a registry on 127.0.0.1. */
final class Images {
    /** The workload: busybox's sleep, so its processes are recognisable by name ("sleep"). */
    static final List<String> SLEEP = List.of("/bin/sleep", "86400");
    /** The pause process shows as "busybox-pause" (busybox runs argv[1] as the applet for names starting with "busybox"). */
    static final String PAUSE_COMM = "busybox-pause";

    final String pause;
    final String sleep;
    /** A wasi/wasm image holding /sleep.wasm, or null when no clang with a wasm32-wasi target is installed. */
    String wasm;

    private Images(String pause, String sleep) {
        this.pause = pause;
        this.sleep = sleep;
    }

    /** Compiles bench/src/main/wasm/sleep.c with clang and pushes it as a wasi/wasm image. */
    void pushWasm(TestRegistry registry, Path work) throws Exception {
        Path source = Path.of("src/main/wasm/sleep.c");
        Path module = work.resolve("sleep.wasm");
        try {
            Processes.run(120, "clang", "--target=wasm32-wasi", "-O2", "-o", module.toString(), source.toString());
        } catch (java.io.IOException e) {
            Bench.log("no Wasm workload (clang --target=wasm32-wasi failed): " + e.getMessage());
            return;
        }
        byte[] bytes = Files.readAllBytes(module);
        ImageWriter.Image image = ImageWriter.image("wasi", "wasm", Map.of("Entrypoint", WASM_SLEEP),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "sleep.wasm", bytes)))));
        registry.pushVia(image, "bench/wasm-sleep", "1");
        wasm = registry.host() + "/bench/wasm-sleep:1";
    }

    static final List<String> WASM_SLEEP = List.of("/sleep.wasm");

    static Images push(TestRegistry registry) throws Exception {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        ImageWriter.Layer pauseLayer = ImageWriter.gzipLayer(ImageWriter.tar(t -> {
            TarArchiveEntry e = new TarArchiveEntry(PAUSE_COMM);
            e.setSize(busybox.length);
            e.setMode(0755);
            t.putArchiveEntry(e);
            t.write(busybox);
            t.closeArchiveEntry();
        }));
        ImageWriter.Image pause = ImageWriter.image("amd64",
                Map.of("Entrypoint", List.of("/" + PAUSE_COMM, "sleep", "2000000000")), List.of(pauseLayer));
        ImageWriter.Layer sleepLayer = ImageWriter.gzipLayer(ImageWriter.tar(t -> {
            ImageWriter.dir(t, "bin");
            TarArchiveEntry e = new TarArchiveEntry("bin/busybox");
            e.setSize(busybox.length);
            e.setMode(0755);
            t.putArchiveEntry(e);
            t.write(busybox);
            t.closeArchiveEntry();
            for (String applet : List.of("sh", "sleep")) {
                ImageWriter.link(t, "bin/" + applet, "busybox", TarArchiveEntry.LF_SYMLINK);
            }
            ImageWriter.dir(t, "etc");
            ImageWriter.file(t, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
            ImageWriter.file(t, "etc/group", "root:x:0:\n", 0644);
            ImageWriter.dir(t, "tmp");
        }));
        ImageWriter.Image sleep = ImageWriter.image("amd64", Map.of("Cmd", SLEEP), List.of(sleepLayer));
        registry.pushVia(pause, "bench/pause", "1");
        registry.pushVia(sleep, "bench/sleep", "1");
        return new Images(registry.host() + "/bench/pause:1", registry.host() + "/bench/sleep:1");
    }
}
