package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.engine.images.cri.CriImageService;
import io.atrium.engine.images.oci.Descriptor;
import io.atrium.engine.images.oci.Platforms;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.ImageWriter.Image;
import io.atrium.engine.images.testing.TestRegistry;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageException.Reason;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which index entry a pull takes: the node's platform first, {@code wasi/wasm} when there is none, or what the caller asks for. */
class PlatformChoiceTest {
    static TestRegistry registry;
    static Path registryDir;
    static Image linux;
    static Image arm;
    static Image wasm;

    @TempDir
    Path root;
    LocalImageStore store;

    @BeforeAll
    static void startRegistry() throws Exception {
        registryDir = Files.createTempDirectory("atrium-registry-");
        registry = new TestRegistry(registryDir);
        linux = ImageWriter.image("amd64", Map.of("Cmd", List.of("sh")),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "which", "linux", 0644)))));
        arm = ImageWriter.image("arm64", Map.of("Cmd", List.of("sh")),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "which", "arm", 0644)))));
        byte[] module = {0, 'a', 's', 'm', 1, 0, 0, 0};
        wasm = ImageWriter.image("wasi", "wasm", Map.of("Entrypoint", List.of("/app.wasm")),
                List.of(ImageWriter.gzipLayer(ImageWriter.tar(t -> ImageWriter.file(t, "app.wasm", module)))));
        Map<String, Image> both = new LinkedHashMap<>();
        both.put("wasi/wasm", wasm); // listed first: order in the index must not decide
        both.put("linux/amd64", linux);
        ImageWriter.pushIndex(registry.url(), "test/both", "1", ImageWriter.index(both), List.of(wasm, linux));
        Map<String, Image> wasmOnly = new LinkedHashMap<>();
        wasmOnly.put("linux/arm64/v8", arm);
        wasmOnly.put("wasi/wasm", wasm);
        ImageWriter.pushIndex(registry.url(), "test/wasm-and-arm", "1", ImageWriter.index(wasmOnly), List.of(arm, wasm));
        ImageWriter.pushIndex(registry.url(), "test/arm-only", "1", ImageWriter.index(Map.of("linux/arm64/v8", arm)), List.of(arm));
        ImageWriter.push(registry.url(), "test/plain-wasm", "1", wasm);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (registryDir != null) {
            io.atrium.engine.images.unpack.Tree.delete(registryDir);
        }
    }

    @BeforeEach
    void openStore() throws Exception {
        store = new LocalImageStore(root, PullTest.fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private ImageReference ref(String repoAndTag) {
        return ImageReference.parse(registry.host() + "/" + repoAndTag);
    }

    @Test
    void theNodePlatformWinsOverWasmWhateverTheOrder() {
        ImageRecord r = store.pull(ref("test/both:1"), null, PullListener.NONE);
        assertEquals(linux.config().digest(), r.id());
        assertEquals("linux", r.config().os());
        assertFalse(Files.exists(store.layout().blob(wasm.layers().get(0).blob().digest())), "the wasm layer is not downloaded");
    }

    @Test
    void wasmIsTheFallbackWhenTheIndexHasNoEntryForTheNode() {
        ImageRecord r = store.pull(ref("test/wasm-and-arm:1"), null, PullListener.NONE);
        assertEquals(wasm.config().digest(), r.id());
        assertEquals("wasi", r.config().os());
        assertEquals("wasm", r.config().architecture());
        assertEquals(List.of("/app.wasm"), r.config().entrypoint());
        assertTrue(Files.exists(store.layout().layer(wasm.layers().get(0).diffId()).resolve("app.wasm")));
    }

    @Test
    void askingForWasmTakesTheWasmEntryEvenWhenTheNodePlatformIsThere() {
        ImageRecord r = store.pull(ref("test/both:1"), null, PullListener.NONE, PullOptions.platforms("wasi/wasm"));
        assertEquals(wasm.config().digest(), r.id());
        assertEquals(wasm.manifest().digest(), r.manifestDigest());
    }

    @Test
    void noMatchingEntryNamesWhatWasWantedAndWhatTheIndexHas() {
        ImageException e = assertThrows(ImageException.class, () -> store.pull(ref("test/arm-only:1"), null, PullListener.NONE));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains(Platforms.host() + " or wasi/wasm"), e.getMessage());
        assertTrue(e.getMessage().contains("linux/arm64/v8"), e.getMessage());
        ImageException only = assertThrows(ImageException.class,
                () -> store.pull(ref("test/both:1"), null, PullListener.NONE, PullOptions.platforms("linux/riscv64")));
        assertEquals(Reason.NOT_FOUND, only.reason());
        assertTrue(store.list().isEmpty(), "nothing recorded");
    }

    @Test
    void aSingleManifestWasiImageIsAccepted() {
        ImageRecord r = store.pull(ref("test/plain-wasm:1"), null, PullListener.NONE);
        assertEquals(wasm.config().digest(), r.id());
        assertEquals("wasi", r.config().os());
    }

    @Test
    void badPlatformsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PullOptions.platforms("wasm"));
        assertThrows(IllegalArgumentException.class, () -> PullOptions.platforms("linux//v8"));
        assertThrows(IllegalArgumentException.class, () -> Platforms.parse("a/b/c/d"));
        assertEquals(new Platforms("linux", "arm64", "v8"), Platforms.parse("Linux/arm64/v8"));
    }

    @Test
    void preferenceOrderDecides() {
        Descriptor w = new Descriptor("m", "sha256:" + "a".repeat(64), 1, new Descriptor.Platform("wasm", "wasi", null), null, null);
        Descriptor l = new Descriptor("m", "sha256:" + "b".repeat(64), 1, new Descriptor.Platform("amd64", "linux", null), null, null);
        List<Descriptor> entries = List.of(w, l);
        assertEquals(l, Platforms.select(List.of(new Platforms("linux", "amd64", ""), Platforms.WASM), entries).orElseThrow());
        assertEquals(w, Platforms.select(List.of(Platforms.WASM, new Platforms("linux", "amd64", "")), entries).orElseThrow());
        assertTrue(Platforms.select(List.of(new Platforms("linux", "s390x", "")), entries).isEmpty());
    }

    @Test
    void theCriPullTakesItsPlatformFromThePodAnnotation() {
        PullImageRequest plain = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("x")).build();
        assertEquals(PullOptions.DEFAULT, CriImageService.pullOptions(plain));
        PullImageRequest annotated = plain.toBuilder().setSandboxConfig(PodSandboxConfig.newBuilder()
                .putAnnotations(CriImageService.PLATFORM_ANNOTATION, "wasi/wasm, linux/amd64")).build();
        assertEquals(List.of("wasi/wasm", "linux/amd64"), CriImageService.pullOptions(annotated).platforms());
        PullImageRequest bad = plain.toBuilder().setSandboxConfig(PodSandboxConfig.newBuilder()
                .putAnnotations(CriImageService.PLATFORM_ANNOTATION, "wasm")).build();
        assertEquals(Reason.INVALID_ARGUMENT, assertThrows(ImageException.class, () -> CriImageService.pullOptions(bad)).reason());
    }
}
