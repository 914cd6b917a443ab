package com.example.atrium.process;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * One pod while this bundle instance runs: its persisted record, guarded by a per-pod lock, plus
 * what lives only in memory (exit futures), which a new instance rebuilds from the record.
 */
final class Pod {

    private final ReentrantLock lock = new ReentrantLock();
    private final StateStore store;
    private PodRecord record;
    private final Map<String, CompletableFuture<ExitStatus>> exits = new ConcurrentHashMap<>();
    private final CompletableFuture<ExitStatus> podExit = new CompletableFuture<>();

    Pod(StateStore store, PodRecord record) {
        this.store = store;
        this.record = record;
    }

    String id() {
        return record().id();
    }

    PodRecord record() {
        lock.lock();
        try {
            return record;
        } finally {
            lock.unlock();
        }
    }

    ContainerRecord container(String containerId) {
        ContainerRecord c = record().containers().get(containerId);
        if (c == null) {
            throw SandboxException.notFound("container", containerId + " in pod " + id());
        }
        return c;
    }

    /**
     * Applies {@code change} under the pod lock and persists the result before publishing it;
     * if persisting fails the previous record stays current.
     */
    PodRecord update(UnaryOperator<PodRecord> change) {
        lock.lock();
        try {
            PodRecord next = change.apply(record);
            if (next != record) {
                store.save(next);
                record = next;
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} holding the pod lock, for steps that must not interleave (start, delete). */
    <T> T locked(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<ExitStatus> exitOf(String containerId) {
        return exits.computeIfAbsent(containerId, k -> new CompletableFuture<>());
    }

    void forgetExit(String containerId) {
        exits.remove(containerId);
    }

    CompletableFuture<ExitStatus> podExit() {
        return podExit;
    }

    /** Wakes every waiter handed out by this instance, so callers re-wait on the next instance. */
    void abandonWaiters(String why) {
        SandboxException e = new SandboxException(Reason.UNAVAILABLE, why);
        exits.values().forEach(f -> f.completeExceptionally(e));
        podExit.completeExceptionally(e);
    }
}
