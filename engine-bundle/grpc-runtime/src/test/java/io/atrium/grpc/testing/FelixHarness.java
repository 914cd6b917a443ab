package io.atrium.grpc.testing;

import aQute.bnd.osgi.Builder;
import aQute.bnd.osgi.Jar;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * A real Felix framework inside a JUnit JVM: install bundle jars, start them, build small probe
 * bundles from test classes with bnd. Lighter than bnd-testing for tests that only need to prove
 * that bundles resolve and talk over a socket; the probe code runs with bundle class loaders.
 */
public final class FelixHarness implements AutoCloseable {
    private final Framework framework;
    private final Path dir;

    public FelixHarness(Path dir, Map<String, String> properties) throws BundleException {
        this.dir = dir;
        Map<String, String> config = new HashMap<>(properties);
        config.put(Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(config);
        framework.start();
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    /** Every jar in {@code directory} that is an OSGi bundle (manifest-less jars are skipped). */
    public static List<Path> bundlesIn(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> bundles = new ArrayList<>();
            for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                try (JarFile j = new JarFile(jar.toFile())) {
                    if (j.getManifest() != null
                            && j.getManifest().getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME) != null) {
                        bundles.add(jar);
                    }
                }
            }
            return bundles;
        }
    }

    /** Installs all jars, then starts every non-fragment; a resolution failure names the missing requirement. */
    public List<Bundle> installAndStart(List<Path> jars) throws BundleException {
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            installed.add(context().installBundle(jar.toUri().toString()));
        }
        for (Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                bundle.start();
            }
        }
        return installed;
    }

    /**
     * Wraps the classes of one test package into a bundle; bnd computes its imports, so the
     * probe sees grpc, netty and the CRI stubs only through the framework's wiring.
     */
    public Path buildBundle(String symbolicName, Path classes, String packageName, Map<String, String> headers)
            throws Exception {
        try (Builder builder = new Builder()) {
            builder.setProperty(Constants.BUNDLE_SYMBOLICNAME, symbolicName);
            builder.setProperty("Private-Package", packageName);
            headers.forEach(builder::setProperty);
            builder.addClasspath(classes.toFile());
            Jar jar = builder.build();
            if (!builder.getErrors().isEmpty()) {
                throw new IllegalStateException("bnd: " + builder.getErrors());
            }
            File out = dir.resolve(symbolicName + ".jar").toFile();
            jar.write(out);
            return out.toPath();
        }
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        framework.waitForStop(30_000);
    }
}
