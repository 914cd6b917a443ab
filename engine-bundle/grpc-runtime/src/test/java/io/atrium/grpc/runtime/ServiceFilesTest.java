package io.atrium.grpc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundle carries one merged copy of each grpc provider file; upstream jars each carry
 * their own. Fails when a grpc upgrade adds or renames a provider and the merge is stale.
 */
class ServiceFilesTest {

    @ParameterizedTest
    @ValueSource(strings = {"io.grpc.LoadBalancerProvider", "io.grpc.NameResolverProvider",
            "io.grpc.ManagedChannelProvider", "io.grpc.ServerProvider"})
    void mergedFileListsEveryUpstreamProvider(String service) throws IOException {
        Set<String> upstream = new TreeSet<>();
        Set<String> merged = new TreeSet<>();
        for (URL url : Collections.list(getClass().getClassLoader().getResources("META-INF/services/" + service))) {
            ("jar".equals(url.getProtocol()) ? upstream : merged).addAll(providers(url));
        }
        assertFalse(upstream.isEmpty(), "no upstream provider file for " + service);
        assertEquals(upstream, merged);
    }

    private static Set<String> providers(URL url) throws IOException {
        try (InputStream in = url.openStream()) {
            Set<String> names = new TreeSet<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String name = line.replaceAll("#.*", "").trim();
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
            return names;
        }
    }
}
