package io.atrium.bindings.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Starts a process the JDK does not own: a shell backgrounds {@code command} and exits, so (with the
 * JVM as child subreaper) the command is reparented to the JVM, exactly as a container process
 * started through a double fork is.
 */
public final class Orphans {
    private Orphans() {
    }

    /**
     * Returns the orphan's pid once its shell parent has exited and been reaped by java.lang.Process.
     * The command should outlive the shell (e.g. start with a short sleep): a shell reaps background jobs
     * that end before it does.
     */
    public static int spawn(String command) throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("sh", "-c", "(" + command + ") </dev/null >/dev/null 2>&1 & echo $!")
                .redirectErrorStream(true).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        if (!sh.waitFor(10, TimeUnit.SECONDS) || sh.exitValue() != 0 || line == null) {
            throw new IOException("could not start orphan: " + command + " -> " + line);
        }
        return Integer.parseInt(line.trim());
    }

    /** A process whose parent stays alive (a shell waiting for it): never the JVM's child. */
    public static Process spawnWithLivingParent(String command) throws IOException {
        return new ProcessBuilder("sh", "-c", "(" + command + ") </dev/null >/dev/null 2>&1 & echo $!; wait")
                .redirectErrorStream(true).start();
    }

    public static int readPid(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        return Integer.parseInt(r.readLine().trim());
    }
}
