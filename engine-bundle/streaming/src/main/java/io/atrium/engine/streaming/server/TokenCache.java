package io.atrium.engine.streaming.server;

import io.atrium.sandbox.api.SandboxException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Requests waiting for their client, by token. A token is 128 random bits (URL-safe base64), used
 * once: {@link #consume} removes it whether or not it has expired. At most {@code capacity} tokens
 * wait at a time (kubelet allows 1000), so a caller that asks and never connects cannot fill memory.
 */
final class TokenCache {
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final long ttlNanos;
    private final int capacity;
    private final LongSupplier clock;

    private record Entry(Object request, long expiresAt) {
    }

    TokenCache(Duration ttl, int capacity, LongSupplier nanoClock) {
        this.ttlNanos = ttl.toNanos();
        this.capacity = capacity;
        this.clock = nanoClock;
    }

    synchronized String insert(Object request) {
        long now = clock.getAsLong();
        purge(now);
        if (entries.size() >= capacity) {
            throw new SandboxException(SandboxException.Reason.RESOURCE_EXHAUSTED,
                    "too many streaming requests waiting for their client (" + capacity + "); try again later");
        }
        byte[] bytes = new byte[16];
        String token;
        do {
            random.nextBytes(bytes);
            token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (entries.containsKey(token));
        entries.put(token, new Entry(request, now + ttlNanos));
        return token;
    }

    /** The request behind {@code token} if it exists and has not expired; the token is gone afterwards. */
    synchronized Optional<Object> consume(String token) {
        Entry e = entries.remove(token);
        if (e == null || clock.getAsLong() - e.expiresAt() > 0) {
            return Optional.empty();
        }
        return Optional.of(e.request());
    }

    synchronized int size() {
        return entries.size();
    }

    private void purge(long now) {
        // insertion order is expiry order: stop at the first live entry
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (now - it.next().expiresAt() > 0) {
                it.remove();
            } else {
                break;
            }
        }
    }
}
