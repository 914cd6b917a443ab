package io.atrium.engine.cni.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The node's CNI config directory. As kubelet runtimes do, the network is the lexically first
 * {@code .conflist}, {@code .conf} or {@code .json} file that is valid; invalid ones are skipped
 * with the reason logged. The directory is re-read whenever a file in it is added, removed or
 * changed (checked on every use, so a directory created after start-up is picked up too).
 */
public final class CniConfigDirectory {

    private static final Logger LOG = Logger.getLogger(CniConfigDirectory.class.getName());
    private static final List<String> EXTENSIONS = List.of(".conflist", ".conf", ".json");

    /**
     * What the directory offers now.
     *
     * @param network the network to use, empty when no file is valid
     * @param file the file it came from
     * @param skipped one line per file that was skipped, naming the file and the reason
     */
    public record Selection(Optional<NetworkConfigList> network, Optional<Path> file, List<String> skipped) {
        public Selection {
            skipped = List.copyOf(skipped);
        }
    }

    private final Path dir;
    private final ObjectMapper json;
    private String fingerprint;
    private Selection current;

    public CniConfigDirectory(Path dir, ObjectMapper json) {
        this.dir = dir;
        this.json = json;
    }

    public Path dir() {
        return dir;
    }

    /** The current selection, re-read if anything in the directory changed since the last call. */
    public synchronized Selection current() {
        TreeMap<String, BasicFileAttributes> files = listing();
        StringBuilder print = new StringBuilder();
        files.forEach((name, attrs) -> print.append(name).append('|').append(attrs.size()).append('|')
                .append(attrs.lastModifiedTime().toMillis()).append('|').append(attrs.fileKey()).append('\n'));
        if (current == null || !print.toString().equals(fingerprint)) {
            current = select(files);
            fingerprint = print.toString();
            report(current);
        }
        return current;
    }

    private Selection select(TreeMap<String, BasicFileAttributes> files) {
        List<String> skipped = new ArrayList<>();
        for (String name : files.keySet()) {
            Path file = dir.resolve(name);
            try {
                NetworkConfigList list = NetworkConfigList.parse(name, Files.readAllBytes(file), json);
                return new Selection(Optional.of(list), Optional.of(file), skipped);
            } catch (InvalidNetworkConfigException e) {
                skipped.add(file + ": " + e.getMessage());
            } catch (IOException e) {
                skipped.add(file + ": cannot read: " + e.getMessage());
            }
        }
        return new Selection(Optional.empty(), Optional.empty(), skipped);
    }

    private void report(Selection selection) {
        selection.skipped().forEach(line -> LOG.warning("skipping CNI config " + line));
        if (selection.network().isPresent()) {
            NetworkConfigList net = selection.network().get();
            LOG.info("CNI network '" + net.name() + "' (cniVersion " + net.cniVersion() + ", plugins "
                    + net.plugins().stream().map(p -> p.get("type").asText()).toList() + ") from " + selection.file().get());
        } else {
            LOG.warning("no valid CNI network config in " + dir + ": pods other than host-network ones cannot start");
        }
    }

    private TreeMap<String, BasicFileAttributes> listing() {
        TreeMap<String, BasicFileAttributes> files = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (EXTENSIONS.stream().noneMatch(name::endsWith) || name.startsWith(".")) {
                    continue;
                }
                BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class);
                if (attrs.isRegularFile()) {
                    files.put(name, attrs);
                }
            }
        } catch (NoSuchFileException e) {
            // no directory yet: no network until one appears
        } catch (IOException e) {
            LOG.warning("cannot list CNI config dir " + dir + ": " + e.getMessage());
        }
        return files;
    }
}
