package io.atrium.cri.v1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.MethodDescriptor;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Spot checks of the generated code against the upstream wire contract: full method names
 * (what kubelet puts in the HTTP/2 path) and hand-encoded bytes (field numbers and types).
 */
class WireContractTest {

    @Test
    void servicesUseUpstreamFullNames() {
        assertEquals("runtime.v1.RuntimeService", RuntimeServiceGrpc.SERVICE_NAME);
        assertEquals("runtime.v1.ImageService", ImageServiceGrpc.SERVICE_NAME);
        assertEquals("runtime.v1.RuntimeService/Version", RuntimeServiceGrpc.getVersionMethod().getFullMethodName());
        assertEquals(35, RuntimeServiceGrpc.getServiceDescriptor().getMethods().size());
        assertEquals(6, ImageServiceGrpc.getServiceDescriptor().getMethods().size());
    }

    @Test
    void streamingRpcsAreServerStreaming() {
        Set<String> streaming = RuntimeServiceGrpc.getServiceDescriptor().getMethods().stream()
                .filter(m -> m.getType() == MethodDescriptor.MethodType.SERVER_STREAMING)
                .map(MethodDescriptor::getBareMethodName)
                .collect(Collectors.toSet());
        assertEquals(Set.of("GetContainerEvents", "StreamPodSandboxes", "StreamContainers",
                "StreamContainerStats", "StreamPodSandboxStats", "StreamPodSandboxMetrics"), streaming);
    }

    @Test
    void podSandboxMetadataEncodesWithUpstreamFieldNumbers() throws Exception {
        PodSandboxMetadata metadata = PodSandboxMetadata.newBuilder()
                .setName("n").setUid("u").setNamespace("s").setAttempt(2).build();
        // 0a=1:len "n", 12=2:len "u", 1a=3:len "s", 20=4:varint 2
        byte[] expected = HexFormat.of().parseHex("0a016e1201751a01732002");
        assertArrayEquals(expected, metadata.toByteArray());
        assertEquals(metadata, PodSandboxMetadata.parseFrom(expected));
    }

    @Test
    void imageSpecKeepsHighFieldNumbers() {
        ImageSpec spec = ImageSpec.newBuilder().setRuntimeHandler("r").build();
        // field 19, wire type 2 -> tag (19 << 3 | 2) = 154 = varint 9a 01
        assertArrayEquals(HexFormat.of().parseHex("9a010172"), spec.toByteArray());
    }

    @Test
    void credentialFieldsCarryTheRedactionMarker() {
        // protobuf-java's toString() ignores the marker; loggers must check it themselves
        assertTrue(AuthConfig.getDescriptor().findFieldByName("password").getOptions().getDebugRedact());
        assertTrue(AuthConfig.getDescriptor().findFieldByName("registry_token").getOptions().getDebugRedact());
    }
}
