package com.example.atrium.process;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pods on disk under the sandboxer's state directory:
 * <pre>
 *   FORMAT              the integer format version of everything below (read by the node's update gate)
 *   pods/&lt;id&gt;.json     one pod with its containers, written atomically
 * </pre>
 */
final class StateStore {

    /** Format of the files this bundle writes; keep in step with Atrium-State-Formats in bnd.bnd. */
    static final int FORMAT = 1;

    private static final System.Logger LOG = System.getLogger(StateStore.class.getName());

    private final Path dir;
    private final Path pods;

    /** Opens the store, refusing state written in a format this bundle cannot read. */
    StateStore(Path dir) throws IOException {
        this.dir = dir;
        this.pods = dir.resolve("pods");
        Files.createDirectories(pods);
        Path formatFile = dir.resolve("FORMAT");
        if (Files.exists(formatFile)) {
            String text = Files.readString(formatFile).trim();
            int onDisk;
            try {
                onDisk = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IOException(formatFile + " must hold an integer format version, found '" + text + "'");
            }
            if (onDisk != FORMAT) {
                throw new IOException("state in " + dir + " has format " + onDisk + ", but this process sandboxer reads only format "
                        + FORMAT + "; install a version that reads format " + onDisk + " (the pods are left untouched)");
            }
        } else {
            AtomicFiles.write(formatFile, (FORMAT + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    Path dir() {
        return dir;
    }

    /** Every readable pod; an unreadable file is reported and left in place for an operator. */
    List<PodRecord> loadAll() throws IOException {
        List<PodRecord> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(pods, "*.json")) {
            for (Path file : ds) {
                try {
                    all.add(PodRecord.fromJson(Json.object(Json.parse(Files.readString(file)), file.toString())));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.ERROR, "cannot read pod state " + file + ", leaving it for inspection: " + e.getMessage());
                }
            }
        }
        return all;
    }

    void save(PodRecord pod) {
        try {
            AtomicFiles.write(pods.resolve(pod.id() + ".json"), Json.write(pod.toJson()).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot persist pod " + pod.id() + " in " + pods + ": " + e.getMessage(), e);
        }
    }

    void delete(String podId) {
        try {
            Files.deleteIfExists(pods.resolve(podId + ".json"));
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot remove pod state of " + podId + ": " + e.getMessage(), e);
        }
    }
}
