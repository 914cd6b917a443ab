package io.atrium.engine.runtime.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.ImageSpec;
import io.atrium.cri.v1.LinuxPodSandboxConfig;
import io.atrium.cri.v1.Mount;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.sandbox.api.SandboxException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ValidatorsTest {
    private static final PodSandboxConfig POD = PodSandboxConfig.newBuilder()
            .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("default").setUid("1234-abcd"))
            .setHostname("web").setLogDirectory("/var/log/pods/x").build();
    private static final ContainerConfig CONTAINER = ContainerConfig.newBuilder()
            .setMetadata(ContainerMetadata.newBuilder().setName("c")).setImage(ImageSpec.newBuilder().setImage("busybox"))
            .setLogPath("c/0.log").build();

    private static String invalid(Executable call) {
        SandboxException e = assertThrows(SandboxException.class, call);
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, e.reason());
        return e.getMessage();
    }

    @Test
    void aGoodPodAndContainerPass() {
        PodConfigValidator.validate(POD);
        ContainerConfigValidator.validate(CONTAINER);
    }

    @Test
    void podsNeedMetadataAndBoundedSizes() {
        assertTrue(invalid(() -> PodConfigValidator.validate(PodSandboxConfig.getDefaultInstance())).contains("metadata"));
        assertTrue(invalid(() -> PodConfigValidator.validate(POD.toBuilder().setMetadata(POD.getMetadata().toBuilder()
                .setNamespace("")).build())).contains("namespace"));
        assertTrue(invalid(() -> PodConfigValidator.validate(POD.toBuilder().setMetadata(POD.getMetadata().toBuilder()
                .setUid("")).build())).contains("uid"));
        invalid(() -> PodConfigValidator.validate(POD.toBuilder().setMetadata(POD.getMetadata().toBuilder()
                .setName("x".repeat(300))).build()));
        invalid(() -> PodConfigValidator.validate(POD.toBuilder().setHostname("bad host").build()));
        invalid(() -> PodConfigValidator.validate(POD.toBuilder().setLogDirectory("relative").build()));
        invalid(() -> PodConfigValidator.validate(POD.toBuilder().putAnnotations("a", "x".repeat(300 * 1024)).build()));
        invalid(() -> PodConfigValidator.validate(POD.toBuilder().setLinux(LinuxPodSandboxConfig.newBuilder()
                .putSysctls("../../etc", "1")).build()));
    }

    @Test
    void containersNeedNameImageAndSafePaths() {
        invalid(() -> ContainerConfigValidator.validate(CONTAINER.toBuilder().clearMetadata().build()));
        assertTrue(invalid(() -> ContainerConfigValidator.validate(CONTAINER.toBuilder().clearImage().build())).contains("image"));
        assertTrue(invalid(() -> ContainerConfigValidator.validate(CONTAINER.toBuilder().setLogPath("../../etc/passwd")
                .build())).contains("log_path"));
        invalid(() -> ContainerConfigValidator.validate(CONTAINER.toBuilder().addMounts(Mount.newBuilder()
                .setContainerPath("rel").setHostPath("/h")).build()));
        invalid(() -> ContainerConfigValidator.validate(CONTAINER.toBuilder().addArgs("a\0b").build()));
    }
}
