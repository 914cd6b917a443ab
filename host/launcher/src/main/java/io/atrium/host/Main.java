package io.atrium.host;

import io.atrium.host.cli.AtriumCommand;
import picocli.CommandLine;

/** Entry point of {@code bin/atrium}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // Must be set before anything touches java.util.logging.
        System.setProperty("java.util.logging.manager", "io.atrium.host.cli.NodeLogManager");
        int code = AtriumCommand.commandLine().execute(args);
        if (code != 0 || !AtriumCommand.isRun(args)) {
            System.exit(code);
        }
    }
}
