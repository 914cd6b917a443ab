package io.atrium.host.cli;

import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Structured (logfmt) log lines on stderr, which journald and log shippers parse as key=value. */
final class LogSetup {
    private LogSetup() {
    }

    static void install() {
        if (LogManager.getLogManager() instanceof NodeLogManager m) {
            m.reallyReset();
        } else {
            LogManager.getLogManager().reset();
        }
        Logger root = Logger.getLogger("");
        Handler h = new ConsoleHandler();
        h.setLevel(Level.ALL);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                StringBuilder sb = new StringBuilder();
                sb.append("ts=").append(Instant.ofEpochMilli(r.getMillis()))
                        .append(" level=").append(r.getLevel().getName().toLowerCase())
                        .append(" logger=").append(r.getLoggerName())
                        .append(" msg=").append(quote(formatMessage(r)));
                if (r.getThrown() != null) {
                    sb.append(" error=").append(quote(String.valueOf(r.getThrown())));
                }
                return sb.append('\n').toString();
            }
        });
        root.addHandler(h);
        root.setLevel(Level.parse(System.getProperty("atrium.log.level", "INFO")));
        // gRPC sets SO_KEEPALIVE on every unix-socket connection, an option Netty's unix channels do
        // not have; Netty warns once per connection. Harmless, so keep it out of the node's log.
        Logger.getLogger("io.netty.bootstrap.ServerBootstrap").setLevel(Level.SEVERE);
        Logger.getLogger("io.netty.bootstrap.Bootstrap").setLevel(Level.SEVERE);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
}
