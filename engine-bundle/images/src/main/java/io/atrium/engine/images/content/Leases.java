package io.atrium.engine.images.content;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Protects blobs and layers a pull or import is still using from garbage collection, as
 * containerd's leases do: GC runs under the same lock as lease acquisition, so a pull that found a
 * blob present cannot have it deleted before its image is recorded.
 */
public final class Leases {

    private final Map<String, Integer> held = new HashMap<>();

    /** A set of protected digests; close it once the image is recorded (or the pull failed). */
    public final class Lease implements AutoCloseable {
        private final List<String> digests;
        private boolean closed;

        Lease(List<String> digests) {
            this.digests = digests;
        }

        public void add(String digest) {
            synchronized (Leases.this) {
                held.merge(digest, 1, Integer::sum);
                digests.add(digest);
            }
        }

        @Override
        public void close() {
            synchronized (Leases.this) {
                if (closed) {
                    return;
                }
                closed = true;
                for (String d : digests) {
                    held.computeIfPresent(d, (k, n) -> n == 1 ? null : n - 1);
                }
            }
        }
    }

    public synchronized Lease acquire(Collection<String> digests) {
        Lease lease = new Lease(new java.util.ArrayList<>());
        digests.forEach(lease::add);
        return lease;
    }

    /** Runs {@code gc} with the set of leased digests while no lease can be taken. */
    public synchronized <T> T exclusive(Function<Set<String>, T> gc) {
        return gc.apply(Set.copyOf(held.keySet()));
    }
}
