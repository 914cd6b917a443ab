package io.atrium.sandboxer.wasm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Test modules compiled from src/test/c with Debian's clang --target=wasm32-wasi, once per JVM. */
final class TestModules {
    private static final Path SOURCES = Path.of("src/test/c");
    private static final Path OUT = Path.of("target/wasm-modules");
    private static final ConcurrentHashMap<String, Path> BUILT = new ConcurrentHashMap<>();

    private TestModules() {
    }

    /** The module built from {@code src/test/c/<name>.c}. */
    static Path module(String name) {
        return BUILT.computeIfAbsent(name, TestModules::compile);
    }

    private static Path compile(String name) {
        try {
            Files.createDirectories(OUT);
            Path out = OUT.resolve(name + ".wasm");
            Process p = new ProcessBuilder(List.of("clang", "--target=wasm32-wasi", "-O2", "-o", out.toString(),
                    SOURCES.resolve(name + ".c").toString())).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("clang failed for " + name + " (install clang lld wasi-libc "
                        + "libclang-rt-14-dev-wasm32: scripts/install-deps.sh --tests):\n" + log);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run clang for " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
