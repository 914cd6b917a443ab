package io.atrium.sandbox.api;

import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * Where a process's standard streams go, so one engine streaming server serves every sandboxer.
 *
 * @param stdin source of stdin, {@link Endpoint.None} to close it
 * @param stdout sink of stdout
 * @param stderr sink of stderr (ignored with a terminal: the terminal merges both)
 * @param terminal whether the process gets a pseudo-terminal
 * @param stdinOnce close stdin after the first client detaches (CRI stdin_once)
 */
public record Stdio(Endpoint stdin, Endpoint stdout, Endpoint stderr, boolean terminal, boolean stdinOnce) {

    public static final Stdio NONE = new Stdio(Endpoint.NONE, Endpoint.NONE, Endpoint.NONE, false, false);

    public Stdio {
        stdin = stdin == null ? Endpoint.NONE : stdin;
        stdout = stdout == null ? Endpoint.NONE : stdout;
        stderr = stderr == null ? Endpoint.NONE : stderr;
    }

    /** Both output streams into one CRI-format log file. */
    public static Stdio criLog(Path logPath, boolean terminal) {
        Endpoint log = new Endpoint.CriLog(logPath);
        return new Stdio(Endpoint.NONE, log, log, terminal, false);
    }

    /** One end of a standard stream. */
    public sealed interface Endpoint {
        None NONE = new None();

        /** Nothing: stdin closed, output discarded. */
        record None() implements Endpoint {
        }

        /** A file written in the CRI log format (timestamp, stream, P/F tag, message). */
        record CriLog(Path path) implements Endpoint {
        }

        /** A named pipe created by the engine. */
        record Fifo(Path path) implements Endpoint {
        }

        /** An in-process channel; the sandboxer reads stdin from it or writes output to it. */
        record InputChannel(ReadableByteChannel channel) implements Endpoint {
        }

        /** An in-process channel the sandboxer writes output to. */
        record OutputChannel(WritableByteChannel channel) implements Endpoint {
        }

        /** A stream address for out-of-process sandboxes (for example a vsock or unix URI). */
        record Address(URI uri) implements Endpoint {
        }
    }
}
