package io.atrium.engine.images.cri;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.cri.v1.AuthConfig;
import io.atrium.cri.v1.FilesystemIdentifier;
import io.atrium.cri.v1.FilesystemUsage;
import io.atrium.cri.v1.Image;
import io.atrium.cri.v1.ImageFsInfoRequest;
import io.atrium.cri.v1.ImageFsInfoResponse;
import io.atrium.cri.v1.ImageServiceGrpc;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.ImageStatusRequest;
import io.atrium.cri.v1.ImageStatusResponse;
import io.atrium.cri.v1.Int64Value;
import io.atrium.cri.v1.ListImagesRequest;
import io.atrium.cri.v1.ListImagesResponse;
import io.atrium.cri.v1.PullImageRequest;
import io.atrium.cri.v1.PullImageResponse;
import io.atrium.cri.v1.RemoveImageRequest;
import io.atrium.cri.v1.RemoveImageResponse;
import io.atrium.cri.v1.StreamImagesRequest;
import io.atrium.cri.v1.StreamImagesResponse;
import io.atrium.cri.v1.UInt64Value;
import io.atrium.engine.images.oci.Json;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageFsUsage;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullOptions;
import io.atrium.image.api.RegistryAuth;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * CRI {@code runtime.v1.ImageService}: a thin adapter that validates, delegates to the
 * {@link ImageStore} and maps {@link ImageException} reasons to gRPC status codes in one place.
 */
@Component(service = BindableService.class, property = "cri.service=image")
public final class CriImageService extends ImageServiceGrpc.ImageServiceImplBase {

    private final ImageStore images;
    private final ObjectMapper json = Json.mapper();

    @Activate
    public CriImageService(@Reference ImageStore images) {
        this.images = images;
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
        answer(response, () -> ListImagesResponse.newBuilder().addAllImages(filtered(request.hasFilter() && request.getFilter().hasImage()
                ? request.getFilter().getImage().getImage() : "")).build());
    }

    @Override
    public void streamImages(StreamImagesRequest request, StreamObserver<StreamImagesResponse> response) {
        answer(response, () -> StreamImagesResponse.newBuilder().addAllImages(filtered(request.hasFilter() && request.getFilter().hasImage()
                ? request.getFilter().getImage().getImage() : "")).build());
    }

    private List<Image> filtered(String filter) {
        if (filter.isEmpty()) {
            return images.list().stream().map(CriImageService::toCri).toList();
        }
        return images.find(filter).map(CriImageService::toCri).stream().toList();
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> response) {
        answer(response, () -> {
            String ref = required(request.getImage(), "ImageStatus");
            Optional<ImageRecord> found = images.find(ref);
            ImageStatusResponse.Builder b = ImageStatusResponse.newBuilder();
            // An unknown image is an empty answer, not an error: kubelet asks before every pull.
            found.ifPresent(r -> {
                b.setImage(toCri(r));
                if (request.getVerbose()) {
                    b.putInfo("info", verboseInfo(r));
                }
            });
            return b.build();
        });
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> response) {
        answer(response, () -> {
            ImageReference ref = ImageReference.parse(required(request.getImage(), "PullImage"));
            ImageRecord r = images.pull(ref, auth(request.hasAuth() ? request.getAuth() : null), PullListener.NONE,
                    pullOptions(request));
            return PullImageResponse.newBuilder().setImageRef(r.id()).build();
        });
    }

    /**
     * The pod's annotation {@value #PLATFORM_ANNOTATION} ({@code wasi/wasm}, or a comma-separated
     * preference) chooses the index entry; without it the store's default rule applies.
     */
    public static PullOptions pullOptions(PullImageRequest request) {
        String wanted = request.hasSandboxConfig()
                ? request.getSandboxConfig().getAnnotationsOrDefault(PLATFORM_ANNOTATION, "") : "";
        if (wanted.isBlank()) {
            return PullOptions.DEFAULT;
        }
        try {
            return new PullOptions(java.util.Arrays.stream(wanted.split(",")).map(String::trim).toList());
        } catch (IllegalArgumentException e) {
            throw new ImageException(ImageException.Reason.INVALID_ARGUMENT, "annotation " + PLATFORM_ANNOTATION + ": " + e.getMessage());
        }
    }

    /** Pod annotation naming the platform(s) a pull prefers. */
    public static final String PLATFORM_ANNOTATION = "atrium.io/platform";

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> response) {
        answer(response, () -> {
            images.remove(required(request.getImage(), "RemoveImage")); // removing a missing image succeeds, as the CRI requires
            return RemoveImageResponse.getDefaultInstance();
        });
    }

    @Override
    public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> response) {
        answer(response, () -> {
            ImageFsUsage u = images.usage();
            FilesystemUsage fs = FilesystemUsage.newBuilder()
                    .setTimestamp(u.timestampNanos())
                    .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(u.mountpoint().toString()))
                    .setUsedBytes(UInt64Value.newBuilder().setValue(u.usedBytes()))
                    .setInodesUsed(UInt64Value.newBuilder().setValue(u.inodesUsed()))
                    .build();
            return ImageFsInfoResponse.newBuilder().addImageFilesystems(fs).build();
        });
    }

    static RegistryAuth auth(AuthConfig a) {
        if (a == null) {
            return RegistryAuth.ANONYMOUS;
        }
        return new RegistryAuth(a.getUsername(), a.getPassword(), a.getAuth(), a.getIdentityToken(), a.getRegistryToken());
    }

    private static String required(ImageSpec spec, String call) {
        if (spec == null || spec.getImage().isBlank()) {
            throw ImageException.invalid(call + ": image is required");
        }
        return spec.getImage();
    }

    static Image toCri(ImageRecord r) {
        Image.Builder b = Image.newBuilder().setId(r.id()).addAllRepoTags(r.repoTags()).addAllRepoDigests(r.repoDigests())
                .setSize(r.size()).setSpec(ImageSpec.newBuilder().setImage(r.id()));
        String user = r.config().user();
        String name = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
        if (name.matches("[0-9]+")) {
            b.setUid(Int64Value.newBuilder().setValue(Long.parseLong(name)));
        } else if (!name.isEmpty()) {
            b.setUsername(name);
        }
        return b.build();
    }

    private String verboseInfo(ImageRecord r) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("id", r.id());
        info.put("manifestDigest", r.manifestDigest());
        info.put("layerDiffIds", r.layerDiffIds());
        info.put("created", r.created().toString());
        info.put("config", r.config());
        try {
            return json.writeValueAsString(info);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ImageException(ImageException.Reason.INTERNAL, "cannot render image info: " + e.getMessage());
        }
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (ImageException e) {
            response.onError(toStatus(e));
            return;
        } catch (RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).withCause(e).asRuntimeException());
            return;
        }
        response.onNext(value);
        response.onCompleted();
    }

    /** The one place image failures become gRPC statuses. */
    public static StatusRuntimeException toStatus(ImageException e) {
        Status s = switch (e.reason()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case DATA_LOSS -> Status.DATA_LOSS;
            case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
            case INTERNAL -> Status.INTERNAL;
        };
        return s.withDescription(e.getMessage()).asRuntimeException();
    }
}
