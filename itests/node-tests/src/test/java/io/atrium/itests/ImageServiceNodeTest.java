package io.atrium.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ImageFilter;
import io.atrium.cri.v1.ImageFsInfoRequest;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.ImageStatusRequest;
import io.atrium.cri.v1.ListImagesRequest;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RemoveImageRequest;
import io.atrium.cri.v1.VersionRequest;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.TestRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The ImageService as kubelet meets it: on the node's own CRI socket, pulling from a real
 * registry (Debian's docker-registry on 127.0.0.1) an image built in the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageServiceNodeTest {

    private NodeProcess node;
    private TestRegistry registry;
    private String ref;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(TestRegistry.BINARY), "Debian's docker-registry is not installed");
        Assumptions.assumeTrue(Files.exists(Path.of("/bin/busybox")), "busybox-static is not installed");
        node = NodeProcess.unpack().start();
        registry = new TestRegistry(Files.createDirectories(node.dir.resolve("registry")));
        registry.start();
        ImageWriter.Image image = ImageWriter.image("amd64", Map.of("Cmd", List.of("/bin/sh"), "Env", List.of("A=1")),
                List.of(ImageWriter.busyboxLayer()));
        registry.pushVia(image, "tools/busybox", "1.35");
        ref = registry.host() + "/tools/busybox:1.35";
    }

    @AfterAll
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void pullListStatusRemoveOverTheNodeSocket() throws Exception {
        try (CriClient cri = CriClient.connect(node.state.resolve("atrium.sock"))) {
            assertTrue(cri.runtime() != null);
            long usedBefore = cri.image().imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0)
                    .getUsedBytes().getValue();
            String id = cri.image().pullImage(PullImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(ref)).build()).getImageRef();
            assertTrue(id.startsWith("sha256:"), id);

            var listed = cri.image().listImages(ListImagesRequest.newBuilder()
                    .setFilter(ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref))).build());
            assertEquals(1, listed.getImagesCount());
            assertEquals(id, listed.getImages(0).getId());
            assertTrue(listed.getImages(0).getRepoTagsList().contains(ref), listed.toString());

            var status = cri.image().imageStatus(ImageStatusRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(ref)).setVerbose(true).build());
            assertEquals(id, status.getImage().getId());
            assertTrue(status.getInfoMap().values().stream().anyMatch(v -> v.contains("A=1")), status.getInfoMap().toString());

            long usedAfter = cri.image().imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0)
                    .getUsedBytes().getValue();
            assertTrue(usedAfter > usedBefore + 500_000, "busybox layer counted: " + usedBefore + " -> " + usedAfter);

            // The CLI sees the same store.
            NodeProcess.Cli ls = node.cli("images", "ls");
            assertEquals(0, ls.exit(), ls.err());
            assertTrue(ls.out().contains("tools/busybox"), ls.out());

            cri.image().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(ref)).build());
            assertEquals(0, cri.image().listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        }
    }

    @Test
    void cliPullShowsProgressAndBadReferencesAreInvalidArgument() throws Exception {
        NodeProcess.Cli pull = node.cli("images", "pull", ref);
        assertEquals(0, pull.exit(), pull.err());
        assertTrue(pull.err().contains("sha256:"), "per-layer progress on stderr: " + pull.err());

        try (CriClient cri = CriClient.connect(node.state.resolve("atrium.sock"))) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.image().pullImage(
                    PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("UPPER//case::bad")).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
            e = assertThrows(StatusRuntimeException.class, () -> cri.image().pullImage(
                    PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(registry.host() + "/no/such:tag")).build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
            // The runtime side of the same socket answers too once the engine's RuntimeService is installed;
            // until then the socket says UNIMPLEMENTED for it rather than failing the connection.
            try {
                cri.runtime().version(VersionRequest.getDefaultInstance());
            } catch (StatusRuntimeException ex) {
                assertEquals(Status.Code.UNIMPLEMENTED, ex.getStatus().getCode());
            }
        }
    }
}
