package io.atrium.bindings.libc;

/**
 * A call was refused before reaching the kernel because it would change state shared by the whole
 * JVM (every thread), or would do so on a thread that other code reuses. The message says why and
 * what to do instead.
 */
public class RefusedCallException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public RefusedCallException(String message) {
        super(message);
    }
}
