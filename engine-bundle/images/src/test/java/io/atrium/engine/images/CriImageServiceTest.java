package io.atrium.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.AuthConfig;
import io.atrium.cri.v1.ImageFilter;
import io.atrium.cri.v1.ImageFsInfoRequest;
import io.atrium.cri.v1.ImageServiceGrpc.ImageServiceBlockingStub;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.ImageStatusRequest;
import io.atrium.cri.v1.ImageStatusResponse;
import io.atrium.cri.v1.ListImagesRequest;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.RemoveImageRequest;
import io.atrium.engine.cri.client.CriClient;
import io.atrium.engine.images.cri.CriImageService;
import io.atrium.engine.images.snapshot.LayeredSnapshotter;
import io.atrium.engine.images.testing.ImageWriter;
import io.atrium.engine.images.testing.ImageWriter.Image;
import io.atrium.engine.images.testing.RegistryProxy;
import io.atrium.engine.images.testing.TestRegistry;
import io.atrium.engine.images.unpack.Tree;
import io.atrium.engine.images.unpack.UnpackLimits;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRI ImageService over a real unix socket, as kubelet and crictl call it. */
class CriImageServiceTest {

    static TestRegistry registry;
    static Image busybox;

    @TempDir
    Path root;
    LocalImageStore store;
    EventLoopGroup group;
    Server server;
    CriClient cri;
    ImageServiceBlockingStub images;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = TestRegistry.inTempDir();
        busybox = ImageWriter.image("amd64", Map.of("User", "33", "Cmd", List.of("sh")), List.of(ImageWriter.busyboxLayer()));
        ImageWriter.push(registry.url(), "library/busybox", "1.36", busybox);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void serve() throws Exception {
        store = new LocalImageStore(root, PullTest.fastConfig(Map.of(), true), UnpackLimits.DEFAULTS);
        Path socket = root.resolve("cri.sock");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new CriImageService(store)).build().start();
        cri = CriClient.connect(socket);
        images = cri.image().withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (cri != null) {
            cri.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
        store.close();
    }

    private static ImageSpec spec(String image) {
        return ImageSpec.newBuilder().setImage(image).build();
    }

    private String ref() {
        return registry.host() + "/library/busybox:1.36";
    }

    @Test
    void pullListStatusFsInfoRemove() throws Exception {
        long before = images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0).getUsedBytes().getValue();
        String id = images.pullImage(PullImageRequest.newBuilder().setImage(spec(ref())).build()).getImageRef();
        assertEquals(busybox.config().digest(), id);

        var list = images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
        assertEquals(1, list.size());
        assertEquals(List.of(ref()), list.get(0).getRepoTagsList());
        assertEquals(33, list.get(0).getUid().getValue());
        assertEquals(busybox.layers().get(0).blob().bytes().length + busybox.config().bytes().length, list.get(0).getSize());
        assertEquals(1, images.listImages(ListImagesRequest.newBuilder().setFilter(ImageFilter.newBuilder().setImage(spec(id))).build()).getImagesCount());
        assertEquals(0, images.listImages(ListImagesRequest.newBuilder().setFilter(ImageFilter.newBuilder().setImage(spec("other:1"))).build()).getImagesCount());

        ImageStatusResponse status = images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(ref())).setVerbose(true).build());
        assertEquals(id, status.getImage().getId());
        assertTrue(status.getInfoMap().get("info").contains(busybox.manifest().digest()), status.getInfoMap().toString());
        assertFalse(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec("nothere:1")).build()).hasImage());

        var fs = images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0);
        assertTrue(fs.getUsedBytes().getValue() > before + Files.size(Path.of("/bin/busybox")));
        assertTrue(fs.getInodesUsed().getValue() > 0);
        assertEquals(store.layout().base().toString(), fs.getFsId().getMountpoint());

        LayeredSnapshotter snapshots = new LayeredSnapshotter(root, store, false);
        snapshots.prepare("ctr1", id, false);
        StatusRuntimeException inUse = assertThrows(StatusRuntimeException.class,
                () -> images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(id)).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, inUse.getStatus().getCode());
        assertTrue(inUse.getStatus().getDescription().contains("ctr1"));
        snapshots.remove("ctr1");

        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(ref())).build());
        assertEquals(0, images.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
        assertEquals(before, images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0).getUsedBytes().getValue());
        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(id)).build()); // already gone: still OK
    }

    @Test
    void pullWithCredentialsFromTheRequest() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(registry.url())) {
            proxy.user = "kubelet";
            proxy.password = "pw";
            String ref = proxy.host() + "/library/busybox:1.36";
            assertCode(Status.Code.UNAUTHENTICATED, () -> images.pullImage(PullImageRequest.newBuilder().setImage(spec(ref)).build()));
            String auth = java.util.Base64.getEncoder().encodeToString("kubelet:pw".getBytes());
            String id = images.pullImage(PullImageRequest.newBuilder().setImage(spec(ref))
                    .setAuth(AuthConfig.newBuilder().setAuth(auth)).build()).getImageRef();
            assertEquals(busybox.config().digest(), id);
        }
    }

    @Test
    void badInputMapsToGrpcCodes() {
        assertCode(Status.Code.INVALID_ARGUMENT, () -> images.pullImage(PullImageRequest.newBuilder().setImage(spec("Bad::Ref")).build()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> images.pullImage(PullImageRequest.getDefaultInstance()));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> images.imageStatus(ImageStatusRequest.getDefaultInstance()));
        StatusRuntimeException nf = assertCode(Status.Code.NOT_FOUND,
                () -> images.pullImage(PullImageRequest.newBuilder().setImage(spec(registry.host() + "/library/nope:1")).build()));
        assertTrue(nf.getStatus().getDescription().contains("MANIFEST_UNKNOWN") || nf.getStatus().getDescription().contains("NAME_UNKNOWN"),
                nf.getStatus().getDescription());
        assertCode(Status.Code.UNAVAILABLE, () -> images.pullImage(PullImageRequest.newBuilder()
                .setImage(spec("127.0.0.1:1/library/busybox:1")).build()));
        assertEquals(0, images.listImages(ListImagesRequest.getDefaultInstance()).getImagesCount());
    }

    private static StatusRuntimeException assertCode(Status.Code code, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }
}
