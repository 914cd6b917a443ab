package io.atrium.host.spi;

import java.util.List;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A command of the {@code atrium} CLI answered by a bundle. Register it as an OSGi service with
 * {@value #NAME_PROPERTY} set to the command word (for example {@code sandboxers} or {@code images}).
 * The host calls it for an authenticated root client; what it returns is written back as JSON.
 */
@ConsumerType
public interface AdminCommand {

    String NAME_PROPERTY = "admin.command";

    /**
     * Runs the command.
     *
     * @param args the words after the command word
     * @param progress lines shown to the user while the command runs (for example pull progress)
     * @return a JSON-serialisable result: String, Number, Boolean, List, Map or a record of those
     * @throws IllegalArgumentException for bad arguments; its message is shown to the user
     */
    Object execute(List<String> args, Consumer<String> progress) throws Exception;
}
