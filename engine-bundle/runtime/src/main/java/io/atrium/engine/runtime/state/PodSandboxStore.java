package io.atrium.engine.runtime.state;

import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The node's pod sandboxes, persisted under {@code <root>/engine/pods/}. Names
 * (name, namespace, uid, attempt) are reserved before any work starts, so two concurrent
 * RunPodSandbox calls for the same pod cannot both proceed.
 */
public final class PodSandboxStore {
    /** Version of the pod state files this engine writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    private final RecordStore<PodSandboxRecord> store;
    private final Set<String> reservedNames = new HashSet<>();

    public PodSandboxStore(Path engineDir) throws IOException {
        store = new RecordStore<>(engineDir.resolve("pods"), PodSandboxRecord.class, PodSandboxRecord::id, "pod sandbox",
                FORMAT_VERSION);
        store.all().forEach(p -> reservedNames.add(p.nameKey()));
    }

    /** Reserves a pod name; ALREADY_EXISTS when a pod of that name and attempt exists or is being made. */
    public synchronized void reserveName(String nameKey, String forId) {
        if (!reservedNames.add(nameKey)) {
            throw new SandboxException(SandboxException.Reason.ALREADY_EXISTS,
                    "pod sandbox " + nameKey + " already exists (name_namespace_uid_attempt); remove it or raise the attempt");
        }
    }

    public synchronized void releaseName(String nameKey) {
        reservedNames.remove(nameKey);
    }

    public void put(PodSandboxRecord pod) {
        store.put(pod);
    }

    public Optional<PodSandboxRecord> update(String id, UnaryOperator<PodSandboxRecord> change) {
        return store.update(id, change);
    }

    public Optional<PodSandboxRecord> get(String id) {
        return store.get(id);
    }

    /** The pod for an id or unique prefix, or NOT_FOUND. */
    public PodSandboxRecord require(String idOrPrefix) {
        if (idOrPrefix == null || idOrPrefix.isEmpty()) {
            throw SandboxException.invalid("pod sandbox id is required");
        }
        return store.resolve(idOrPrefix).flatMap(store::get)
                .orElseThrow(() -> SandboxException.notFound("pod sandbox", idOrPrefix));
    }

    public Optional<String> resolve(String idOrPrefix) {
        return store.resolve(idOrPrefix);
    }

    public List<PodSandboxRecord> all() {
        return store.all();
    }

    public void remove(PodSandboxRecord pod) {
        store.remove(pod.id());
        releaseName(pod.nameKey());
    }

    public List<String> unreadable() {
        return store.unreadable();
    }
}
