package io.atrium.sandbox.api;

import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Provided by the engine: resolves a sandboxer name to a view that survives bundle swaps. Each
 * call on the returned view waits (bounded) while the named sandboxer is being replaced, then goes
 * to whichever instance is current.
 */
@ProviderType
public interface SandboxerDirectory {

    /** A swap-proof view of the named sandboxer; calls fail with UNAVAILABLE after the bounded wait. */
    Sandboxer sandboxer(String name);

    /** A swap-proof view of one sandbox's in-process Task service. */
    TaskService tasks(String sandboxerName, String sandboxId);

    /** Names of the sandboxers currently registered. */
    Set<String> names();
}
