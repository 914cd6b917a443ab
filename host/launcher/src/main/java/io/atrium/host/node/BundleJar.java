package io.atrium.host.node;

import io.atrium.host.admin.AdminException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/** A bundle jar checked before the framework sees it: a readable jar with an OSGi identity. */
record BundleJar(Path path, String symbolicName, Version version, boolean fragment, boolean singleton,
        java.util.Set<Integer> stateFormats) {

    /** Manifest header listing the persisted-state format versions a sandboxer bundle can read. */
    static final String STATE_FORMATS_HEADER = "Atrium-State-Formats";

    /** Reads and checks a jar offered by an operator: every entry is read, so corruption shows here. */
    static BundleJar read(Path path) {
        return read(path, true);
    }

    /**
     * Reads a jar's identity; {@code readEntries} false skips decompressing every entry, for the
     * core bundles read at each node start (they are checked when they change, by the trust check).
     */
    static BundleJar read(Path path, boolean readEntries) {
        if (!Files.isRegularFile(path)) {
            throw AdminException.invalid(path + ": no such file");
        }
        Manifest mf;
        try (JarFile jar = new JarFile(path.toFile(), false)) {
            mf = jar.getManifest();
            // Touch every entry: a truncated or corrupt jar fails here rather than half-way into the framework.
            var entries = jar.entries();
            while (readEntries && entries.hasMoreElements()) {
                try (var in = jar.getInputStream(entries.nextElement())) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
        } catch (NoSuchFileException e) {
            throw AdminException.invalid(path + ": no such file");
        } catch (ZipException e) {
            throw AdminException.invalid(path + " is not a jar file (" + e.getMessage() + ")");
        } catch (IOException | SecurityException e) {
            throw AdminException.invalid(path + " cannot be read as a jar: " + e.getMessage());
        }
        if (mf == null) {
            throw AdminException.invalid(path + " has no META-INF/MANIFEST.MF: not an OSGi bundle");
        }
        String bsn = mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null || bsn.isBlank()) {
            throw AdminException.invalid(path + " has no Bundle-SymbolicName: not an OSGi bundle");
        }
        boolean singleton = bsn.replace(" ", "").contains("singleton:=true");
        bsn = bsn.split(";", 2)[0].trim();
        Version v;
        try {
            v = Version.parseVersion(mf.getMainAttributes().getValue(Constants.BUNDLE_VERSION));
        } catch (IllegalArgumentException e) {
            throw AdminException.invalid(path + " has an invalid Bundle-Version: " + e.getMessage());
        }
        boolean fragment = mf.getMainAttributes().getValue(Constants.FRAGMENT_HOST) != null;
        java.util.Set<Integer> formats = null;
        String header = mf.getMainAttributes().getValue(STATE_FORMATS_HEADER);
        if (header != null) {
            formats = new java.util.TreeSet<>();
            for (String f : header.split(",")) {
                try {
                    formats.add(Integer.parseInt(f.trim()));
                } catch (NumberFormatException e) {
                    throw AdminException.invalid(path + ": " + STATE_FORMATS_HEADER + " must list integers, got '" + header + "'");
                }
            }
        }
        return new BundleJar(path, bsn, v, fragment, singleton, formats);
    }
}
