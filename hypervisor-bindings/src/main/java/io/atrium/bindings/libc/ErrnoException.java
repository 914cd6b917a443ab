package io.atrium.bindings.libc;

import java.io.IOException;
import java.util.List;

/**
 * A system call failed. Carries the errno (number and symbolic name), the call and the arguments
 * it was given, so a log line alone says what the kernel refused and why.
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String call;
    private final List<String> args;

    public ErrnoException(int errno, String call, Object... args) {
        super(format(errno, call, args));
        this.errno = errno;
        this.call = call;
        this.args = java.util.Arrays.stream(args).map(String::valueOf).toList();
    }

    /** The errno value. */
    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code ENOENT}, or {@code "errno <n>"} for numbers the table lacks. */
    public String errnoName() {
        return Errno.nameOf(errno);
    }

    /** True if the kernel answered with this errno. */
    public boolean is(Errno e) {
        return e.number() == errno;
    }

    /** The C function or syscall, e.g. {@code mount}. */
    public String call() {
        return call;
    }

    /** The arguments as they were passed, rendered as strings. */
    public List<String> args() {
        return args;
    }

    private static String format(int errno, String call, Object[] args) {
        StringBuilder sb = new StringBuilder(call).append('(');
        for (int i = 0; i < args.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object a = args[i];
            sb.append(a instanceof String ? "\"" + a + "\"" : String.valueOf(a));
        }
        String msg = Errno.of(errno).map(Errno::message).orElse("unknown error");
        return sb.append(") failed: ").append(Errno.nameOf(errno)).append(" (").append(errno).append(") ").append(msg).toString();
    }
}
