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
 * The node's containers, persisted under {@code <root>/engine/containers/}. A container name
 * (pod, name, attempt) is reserved while it is being created, as for pods.
 */
public final class ContainerStore {
    /** Version of the container state files this engine writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    private final RecordStore<ContainerRecord> store;
    private final Set<String> reservedNames = new HashSet<>();

    public ContainerStore(Path engineDir) throws IOException {
        store = new RecordStore<>(engineDir.resolve("containers"), ContainerRecord.class, ContainerRecord::id, "container",
                FORMAT_VERSION);
        store.all().forEach(c -> reservedNames.add(nameKey(c.podSandboxId(), c.name(), c.attempt())));
    }

    public static String nameKey(String podId, String name, int attempt) {
        return podId + "/" + name + "_" + attempt;
    }

    public synchronized void reserveName(String nameKey) {
        if (!reservedNames.add(nameKey)) {
            throw new SandboxException(SandboxException.Reason.ALREADY_EXISTS,
                    "container " + nameKey + " already exists in that pod (name_attempt)");
        }
    }

    public synchronized void releaseName(String nameKey) {
        reservedNames.remove(nameKey);
    }

    public void put(ContainerRecord c) {
        store.put(c);
    }

    public Optional<ContainerRecord> update(String id, UnaryOperator<ContainerRecord> change) {
        return store.update(id, change);
    }

    public Optional<ContainerRecord> get(String id) {
        return store.get(id);
    }

    public ContainerRecord require(String idOrPrefix) {
        if (idOrPrefix == null || idOrPrefix.isEmpty()) {
            throw SandboxException.invalid("container id is required");
        }
        return store.resolve(idOrPrefix).flatMap(store::get)
                .orElseThrow(() -> SandboxException.notFound("container", idOrPrefix));
    }

    public Optional<String> resolve(String idOrPrefix) {
        return store.resolve(idOrPrefix);
    }

    public List<ContainerRecord> all() {
        return store.all();
    }

    public List<ContainerRecord> inPod(String podId) {
        return store.all().stream().filter(c -> c.podSandboxId().equals(podId)).toList();
    }

    public void remove(ContainerRecord c) {
        store.remove(c.id());
        releaseName(nameKey(c.podSandboxId(), c.name(), c.attempt()));
    }

    public List<String> unreadable() {
        return store.unreadable();
    }
}
