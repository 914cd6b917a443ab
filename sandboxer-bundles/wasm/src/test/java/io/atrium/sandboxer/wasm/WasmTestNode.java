package io.atrium.sandboxer.wasm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node directory with a real Wasm sandboxer, image layers made of real files and overlay
 * snapshots mounted the way the image store describes them.
 */
final class WasmTestNode implements AutoCloseable {
    final Path dir;
    final NodePaths paths;
    final WasmSandboxer sandboxer;
    private final ObjectMapper json = new ObjectMapper();
    private int snapshots;

    WasmTestNode(Path dir, ModuleCache.Execution execution) throws IOException {
        this.dir = dir;
        this.paths = new NodePaths(dir.resolve("root"), dir.resolve("state"));
        this.sandboxer = start(execution);
    }

    WasmSandboxer start(ModuleCache.Execution execution) throws IOException {
        return new WasmSandboxer(paths, execution, 16, 8L << 20, Duration.ofSeconds(5), false);
    }

    /** An image layer holding the named test modules at {@code /<name>.wasm}. */
    Path layer(String... modules) throws IOException {
        Path layer = Files.createDirectories(dir.resolve("layers").resolve(String.join("-", modules)));
        for (String m : modules) {
            Files.copy(TestModules.module(m), layer.resolve(m + ".wasm"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return layer;
    }

    /** An overlay snapshot of {@code layer}, as the snapshotter hands it to a sandboxer. */
    List<Mount> snapshot(Path layer) throws IOException {
        Path s = dir.resolve("snapshots").resolve(String.valueOf(++snapshots));
        Path upper = Files.createDirectories(s.resolve("fs"));
        Path work = Files.createDirectories(s.resolve("work"));
        return List.of(new Mount("overlay", "overlay", "", List.of("lowerdir=" + layer, "upperdir=" + upper,
                "workdir=" + work)));
    }

    TaskService pod(String id) {
        sandboxer.create(SandboxSpec.of(id, id, "default"));
        return ((TaskEndpoint.InProcess) sandboxer.start(id).tasks()).service();
    }

    /** A config.json like the engine builds: process, optional bind mounts and memory limit. */
    String spec(List<String> args, Map<String, String> env, List<Map<String, Object>> mounts, long memoryLimit) {
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("args", args);
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        process.put("env", envList);
        process.put("cwd", "/");
        process.put("user", Map.of("uid", 0, "gid", 0));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("ociVersion", "1.1.0");
        spec.put("process", process);
        spec.put("root", Map.of("path", "rootfs", "readonly", false));
        List<Map<String, Object>> all = new ArrayList<>();
        all.add(Map.of("destination", "/proc", "type", "proc", "source", "proc"));
        all.addAll(mounts);
        spec.put("mounts", all);
        if (memoryLimit > 0) {
            spec.put("linux", Map.of("resources", Map.of("memory", Map.of("limit", memoryLimit))));
        }
        try {
            return json.writeValueAsString(spec);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> bind(Path source, String destination, boolean readOnly) {
        return Map.of("destination", destination, "type", "bind", "source", source.toString(),
                "options", readOnly ? List.of("rbind", "ro") : List.of("rbind", "rw"));
    }

    CreateTask task(String id, String spec, List<Mount> rootfs, Path log) {
        return new CreateTask(id, spec, rootfs, Stdio.criLog(log, false), Map.of());
    }

    @Override
    public void close() {
        for (var s : sandboxer.list()) {
            sandboxer.shutdown(s.sandboxId());
        }
    }
}
