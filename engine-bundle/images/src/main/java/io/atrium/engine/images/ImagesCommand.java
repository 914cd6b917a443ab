package io.atrium.engine.images;

import io.atrium.host.spi.AdminCommand;
import io.atrium.image.api.ImageException;
import io.atrium.image.api.ImageRecord;
import io.atrium.image.api.ImageReference;
import io.atrium.image.api.ImageStore;
import io.atrium.image.api.PullListener;
import io.atrium.image.api.PullProgress;
import io.atrium.image.api.RegistryAuth;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code atrium images pull REF | import PATH | ls | rm REF | inspect REF}. */
@Component(service = AdminCommand.class, property = AdminCommand.NAME_PROPERTY + "=images")
public final class ImagesCommand implements AdminCommand {

    static final String USAGE = "usage: atrium images pull REF | import FILE|DIR | ls | rm REF | inspect REF";
    private final ImageStore images;

    @Activate
    public ImagesCommand(@Reference ImageStore images) {
        this.images = images;
    }

    @Override
    public Object execute(List<String> args, Consumer<String> progress) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException(USAGE);
        }
        String verb = args.get(0);
        try {
            return switch (verb) {
                case "pull" -> summary(images.pull(ImageReference.parse(one(args)), RegistryAuth.ANONYMOUS, lines(progress)));
                case "import" -> images.importArchive(Path.of(one(args)), lines(progress)).stream().map(ImagesCommand::summary).toList();
                case "ls", "list" -> images.list().stream().map(ImagesCommand::summary).toList();
                case "rm", "remove" -> Map.of("removed", images.remove(one(args)));
                case "inspect" -> images.find(one(args)).orElseThrow(() -> ImageException.notFound("image " + one(args) + " not found"));
                default -> throw new IllegalArgumentException("unknown images command '" + verb + "'; " + USAGE);
            };
        } catch (ImageException e) {
            // the CLI shows an IllegalArgumentException's message as is; keep the reason visible
            throw new IllegalArgumentException(e.reason().name().toLowerCase(Locale.ROOT) + ": " + e.getMessage(), e);
        }
    }

    private static String one(List<String> args) {
        if (args.size() != 2) {
            throw new IllegalArgumentException(USAGE);
        }
        return args.get(1);
    }

    static Map<String, Object> summary(ImageRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("tags", r.repoTags());
        m.put("digests", r.repoDigests());
        m.put("size", r.size());
        m.put("created", r.created().toString());
        return m;
    }

    /** One line per layer step, as docker pull prints them: short digest, status, bytes. */
    static PullListener lines(Consumer<String> out) {
        return p -> out.accept(line(p));
    }

    static String line(PullProgress p) {
        String id = p.digest() == null ? "" : p.digest().substring(7, Math.min(p.digest().length(), 19)) + ": ";
        String bytes = p.phase() == PullProgress.Phase.DOWNLOADING && p.total() > 0
                ? " " + human(p.done()) + "/" + human(p.total()) + " (" + (p.done() * 100 / p.total()) + "%)" : "";
        return id + p.message() + bytes;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1fKiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1fMiB", bytes / (1024.0 * 1024));
    }
}
