package io.atrium.grpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.grpc.testing.FelixHarness;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** The packaged io.atrium.grpc bundle in a real Felix 7 with protobuf, Guava, Netty and the CRI API bundles. */
class GrpcBundleIT {
    @TempDir Path dir;
    FelixHarness felix;
    List<Bundle> bundles;

    @BeforeEach
    void start() throws Exception {
        felix = new FelixHarness(dir, Map.of());
        List<Path> jars = new ArrayList<>(FelixHarness.bundlesIn(Path.of(System.getProperty("felix.bundles"))));
        jars.add(Path.of(System.getProperty("grpc.bundle")));
        bundles = felix.installAndStart(jars);
    }

    @AfterEach
    void stop() throws Exception {
        felix.close();
    }

    @Test
    void everyBundleResolvesAndStarts() {
        for (Bundle bundle : bundles) {
            boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            assertEquals(expected, bundle.getState(), bundle.getSymbolicName());
        }
        assertTrue(bundles.stream().anyMatch(b -> "io.atrium.grpc".equals(b.getSymbolicName())));
        assertTrue(bundles.stream().anyMatch(b -> "io.atrium.cri.api".equals(b.getSymbolicName())));
    }

    @Test
    @SuppressWarnings("unchecked")
    void probeBundleServesAndCallsCriVersionOverUnixSocket() throws Exception {
        Path probe = felix.buildBundle("io.atrium.grpc.probe", Path.of("target/test-classes"),
                "io.atrium.grpc.probe", Map.of(Constants.BUNDLE_ACTIVATOR, "io.atrium.grpc.probe.GrpcProbe"));
        felix.installAndStart(List.of(probe));

        ServiceReference<Function> ref = felix.context()
                .getServiceReferences(Function.class, "(probe=grpc)").iterator().next();
        Function<String, String> roundTrip = felix.context().getService(ref);
        String answer = roundTrip.apply(dir.resolve("probe.sock").toString());

        assertEquals("probe/v1 grpc=io.atrium.grpc cri=io.atrium.cri.api", answer);
    }
}
