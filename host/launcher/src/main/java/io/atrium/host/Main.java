package io.atrium.host;

import io.atrium.host.cli.AtriumCommand;
import picocli.CommandLine;

/** Entry point of {@code bin/atrium}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = AtriumCommand.commandLine().execute(args);
        if (code != 0 || !AtriumCommand.isRun(args)) {
            System.exit(code);
        }
    }
}
