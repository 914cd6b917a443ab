package io.atrium.engine.sandboxers;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import io.atrium.sandbox.api.Sandboxer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Holds the current instance of one named sandboxer and makes callers wait through a swap.
 *
 * <p>While a bundle update replaces the instance, {@link #acquire} blocks (bounded) until the new
 * instance binds. {@link #unbind} blocks until calls already inside the old instance return, so an
 * old instance is never deactivated under a caller. Once the providing bundle is uninstalled the
 * gate is {@linkplain #markRemoved removed} and callers fail at once with a clear reason.
 */
public final class SandboxerGate {

    /** What the gate knows of one registered instance. */
    public record Provider(Sandboxer sandboxer, long bundleId, String bundleName, String bundleVersion) {
    }

    /** Snapshot of the gate for listings. */
    public record View(String name, Provider current, String state, int inFlight, int waiting, String conflict) {
    }

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Further providers claiming the same name wait here; the first keeps serving.
    private final Deque<Provider> candidates = new ArrayDeque<>();
    private final Map<Sandboxer, Integer> inFlight = new IdentityHashMap<>();
    private Provider current;
    private boolean removed;
    private long lastBundleId = -1;
    private int waiting;

    public SandboxerGate(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** A provider registered; it serves unless another one already does. */
    public void bind(Provider provider) {
        lock.lock();
        try {
            if (current == null) {
                current = provider;
                lastBundleId = provider.bundleId();
                removed = false;
                changed.signalAll();
            } else {
                candidates.addLast(provider);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A provider went away. If it was serving, new calls start waiting and this method returns
     * once the calls inside it have finished (at most {@code drain}).
     */
    public void unbind(Sandboxer sandboxer, Duration drain) {
        lock.lock();
        try {
            candidates.removeIf(p -> p.sandboxer() == sandboxer);
            if (current == null || current.sandboxer() != sandboxer) {
                return;
            }
            current = candidates.pollFirst();
            if (current != null) {
                lastBundleId = current.bundleId();
                changed.signalAll();
            }
            long left = drain.toNanos();
            while (inFlight.getOrDefault(sandboxer, 0) > 0 && left > 0) {
                left = changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** The bundle that last served this name was uninstalled: stop making callers wait. */
    public void markRemoved(long bundleId) {
        lock.lock();
        try {
            if (current == null && bundleId == lastBundleId) {
                removed = true;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The current instance, waiting at most {@code timeout} while none is bound. Pair with {@link #release}. */
    public Sandboxer acquire(Duration timeout) {
        lock.lock();
        try {
            long left = timeout.toNanos();
            waiting++;
            try {
                while (current == null) {
                    if (removed) {
                        throw new SandboxException(Reason.UNAVAILABLE,
                                "sandboxer '" + name + "' was uninstalled; no bundle provides it any more");
                    }
                    if (left <= 0) {
                        throw new SandboxException(Reason.UNAVAILABLE, "sandboxer '" + name
                                + "' is not available (waited " + timeout.toMillis() + " ms for it to be registered)");
                    }
                    left = changed.awaitNanos(left);
                }
            } finally {
                waiting--;
            }
            Sandboxer s = current.sandboxer();
            inFlight.merge(s, 1, Integer::sum);
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException(Reason.UNAVAILABLE, "interrupted waiting for sandboxer '" + name + "'");
        } finally {
            lock.unlock();
        }
    }

    public void release(Sandboxer sandboxer) {
        lock.lock();
        try {
            if (inFlight.merge(sandboxer, -1, Integer::sum) <= 0) {
                inFlight.remove(sandboxer);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    public View view() {
        lock.lock();
        try {
            String state = current != null ? "active" : removed ? "removed" : "swapping";
            String conflict = candidates.isEmpty() ? ""
                    : "also claimed by " + candidates.peekFirst().bundleName() + " " + candidates.peekFirst().bundleVersion()
                            + " (ignored while " + (current == null ? "none" : current.bundleName()) + " serves)";
            int calls = inFlight.values().stream().mapToInt(Integer::intValue).sum();
            return new View(name, current, state, calls, waiting, conflict);
        } finally {
            lock.unlock();
        }
    }
}
