package io.atrium.bindings.libc;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a task on a fresh platform thread that is discarded afterwards.
 *
 * <p>Linux keeps namespaces (and, after {@code unshare(CLONE_FS)}, root and cwd) per thread. A task
 * that switches namespaces on a pooled or shared thread would leave every later task on that thread
 * in the wrong namespace; on a thread that ends when the task ends nothing leaks. {@link Syscalls}
 * refuses namespace-changing calls on any other thread.
 *
 * <p>Classes the task needs should be loaded before it leaves the mount namespace (class loading
 * opens jar files by path).
 */
public final class IsolatedThread {

    /** A task that may fail with an I/O or errno error. */
    @FunctionalInterface
    public interface Task<T> {
        T run() throws IOException;
    }

    private static final ThreadLocal<Boolean> ISOLATED = ThreadLocal.withInitial(() -> false);

    private IsolatedThread() {
    }

    /** True on a thread started by {@link #call}. */
    public static boolean isCurrent() {
        return ISOLATED.get();
    }

    /**
     * Runs {@code task} on a new thread and waits for it. Exceptions the task throws are rethrown
     * here unchanged (checked ones as {@link IOException}).
     */
    public static <T> T call(String name, Task<T> task) throws IOException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            ISOLATED.set(true);
            try {
                result.set(task.run());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            // the thread keeps running to completion; we only stop waiting for it
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for isolated thread " + name);
        }
        Throwable f = failure.get();
        if (f instanceof IOException io) {
            throw io;
        } else if (f instanceof RuntimeException re) {
            throw re;
        } else if (f instanceof Error err) {
            throw err;
        } else if (f != null) {
            throw new IOException(f);
        }
        return result.get();
    }
}
