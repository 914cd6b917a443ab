package io.atrium.engine.runtime.spec;

import io.atrium.sandbox.api.SandboxException;
import java.util.Locale;
import java.util.Map;

/** Linux x86_64 signal names and numbers, for image StopSignal and the CRI Signal enum. */
public final class Signals {
    private Signals() {}

    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("SIGHUP", 1), Map.entry("SIGINT", 2), Map.entry("SIGQUIT", 3), Map.entry("SIGILL", 4),
            Map.entry("SIGTRAP", 5), Map.entry("SIGABRT", 6), Map.entry("SIGIOT", 6), Map.entry("SIGBUS", 7),
            Map.entry("SIGFPE", 8), Map.entry("SIGKILL", 9), Map.entry("SIGUSR1", 10), Map.entry("SIGSEGV", 11),
            Map.entry("SIGUSR2", 12), Map.entry("SIGPIPE", 13), Map.entry("SIGALRM", 14), Map.entry("SIGTERM", 15),
            Map.entry("SIGSTKFLT", 16), Map.entry("SIGCHLD", 17), Map.entry("SIGCONT", 18), Map.entry("SIGSTOP", 19),
            Map.entry("SIGTSTP", 20), Map.entry("SIGTTIN", 21), Map.entry("SIGTTOU", 22), Map.entry("SIGURG", 23),
            Map.entry("SIGXCPU", 24), Map.entry("SIGXFSZ", 25), Map.entry("SIGVTALRM", 26), Map.entry("SIGPROF", 27),
            Map.entry("SIGWINCH", 28), Map.entry("SIGIO", 29), Map.entry("SIGPOLL", 29), Map.entry("SIGPWR", 30),
            Map.entry("SIGSYS", 31));
    private static final int SIGRTMIN = 34;
    private static final int SIGRTMAX = 64;

    /**
     * Parses {@code SIGTERM}, {@code TERM}, {@code 15} or {@code SIGRTMIN+3} (and the CRI enum's
     * {@code SIGRTMINPLUS3} / {@code SIGRTMAXMINUS2} spelling).
     */
    public static int parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.matches("[0-9]+")) {
            int n = Integer.parseInt(s);
            if (n < 1 || n > SIGRTMAX) {
                throw SandboxException.invalid("signal number out of range: " + text);
            }
            return n;
        }
        if (!s.startsWith("SIG")) {
            s = "SIG" + s;
        }
        s = s.replace("PLUS", "+").replace("MINUS", "-");
        Integer n = NUMBERS.get(s);
        if (n != null) {
            return n;
        }
        if (s.startsWith("SIGRTMIN") || s.startsWith("SIGRTMAX")) {
            int base = s.startsWith("SIGRTMIN") ? SIGRTMIN : SIGRTMAX;
            String rest = s.substring(8);
            int offset = rest.isEmpty() ? 0 : Integer.parseInt(rest.replace("+", ""));
            int v = base + offset;
            if (v >= SIGRTMIN && v <= SIGRTMAX) {
                return v;
            }
        }
        throw SandboxException.invalid("unknown signal '" + text + "'");
    }
}
