package com.example.atrium.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The manifest bnd generated (bnd-process runs before the tests) promises what the node checks:
 * the API range this bundle accepts and the state formats it reads.
 */
class BundleManifestTest {

    private static Manifest manifest() throws Exception {
        Path mf = Path.of("target/classes/META-INF/MANIFEST.MF");
        assertTrue(Files.exists(mf), "bnd did not write " + mf.toAbsolutePath());
        try (InputStream in = Files.newInputStream(mf)) {
            return new Manifest(in);
        }
    }

    @Test
    void declaresTheStateFormatTheCodeWrites() throws Exception {
        String formats = manifest().getMainAttributes().getValue("Atrium-State-Formats");
        assertNotNull(formats, "Atrium-State-Formats header missing: the node's update gate could not check this bundle");
        assertTrue(java.util.Arrays.stream(formats.split(",")).map(String::trim).anyMatch(f -> f.equals(Integer.toString(StateStore.FORMAT))),
                "the bundle writes format " + StateStore.FORMAT + " but declares it reads only " + formats);
    }

    @Test
    void importsTheSandboxApiAsAConsumer() throws Exception {
        String imports = manifest().getMainAttributes().getValue("Import-Package");
        // [1.<minor built against>,2): runs on that API minor and every later 1.x, never on 2.0
        assertTrue(java.util.regex.Pattern.compile("io\\.atrium\\.sandbox\\.api;version=\"\\[1\\.\\d+,2\\)\"").matcher(imports).find(),
                "an implementer of @ConsumerType interfaces must accept any later 1.x API and no 2.0: " + imports);
        assertEquals("com.example.atrium.process", manifest().getMainAttributes().getValue("Bundle-SymbolicName"));
    }
}
