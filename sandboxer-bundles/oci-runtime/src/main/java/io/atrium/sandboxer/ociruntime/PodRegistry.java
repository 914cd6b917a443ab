package io.atrium.sandboxer.ociruntime;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.SandboxStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The pods one sandboxer instance runs, by id, each as its Task service.
 *
 * @param <T> the sandboxer's per-pod Task service
 */
public final class PodRegistry<T> {
    private final Map<String, T> pods = new ConcurrentHashMap<>();

    /** Records a new pod; ALREADY_EXISTS if one has that id. */
    public void add(String id, T tasks) {
        if (pods.putIfAbsent(id, tasks) != null) {
            throw new SandboxException(Reason.ALREADY_EXISTS, "pod " + id + " exists");
        }
    }

    /** Records a re-adopted pod. */
    public void put(String id, T tasks) {
        pods.put(id, tasks);
    }

    /** The pod; NOT_FOUND if there is none by that id. */
    public T get(String id) {
        T t = id == null ? null : pods.get(id);
        if (t == null) {
            throw SandboxException.notFound("sandbox", id);
        }
        return t;
    }

    /** The pod, or null. */
    public T find(String id) {
        return id == null ? null : pods.get(id);
    }

    public void remove(String id, T tasks) {
        pods.remove(id, tasks);
    }

    public Collection<T> all() {
        return pods.values();
    }

    public int size() {
        return pods.size();
    }

    public void clear() {
        pods.clear();
    }

    /** Every pod's status; one shut down meanwhile is left out. */
    public List<SandboxStatus> statuses(Function<String, SandboxStatus> status) {
        List<SandboxStatus> all = new ArrayList<>();
        for (String id : pods.keySet()) {
            try {
                all.add(status.apply(id));
            } catch (SandboxException e) {
                // shut down meanwhile
            }
        }
        return all;
    }
}
