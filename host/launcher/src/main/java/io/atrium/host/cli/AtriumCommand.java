package io.atrium.host.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.host.admin.AdminClient;
import io.atrium.host.admin.AdminException;
import io.atrium.host.config.NodeConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/** The {@code atrium} command line: {@code run} starts a node, the rest talk to its admin socket. */
@Command(name = "atrium", mixinStandardHelpOptions = true, versionProvider = AtriumCommand.Version.class,
        description = "Atrium Kubernetes node runtime.",
        subcommands = {RunCommand.class, AtriumCommand.Status.class, AtriumCommand.Bundle.class,
            AtriumCommand.Sandboxers.class, AtriumCommand.Images.class, AtriumCommand.Pods.class,
            AtriumCommand.Ps.class, AtriumCommand.Call.class})
public final class AtriumCommand {

    @Option(names = "--state", paramLabel = "DIR",
            description = "Node state directory holding admin.sock (default: ${DEFAULT-VALUE}).")
    Path state;

    /** The state directory given before the subcommand, or the default. */
    Path stateDir() {
        return state != null ? state : NodeConfig.DEFAULT_STATE;
    }

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the raw JSON answer.")
    boolean json;

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new AtriumCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof AdminException a) {
                err.println("atrium: " + a.getMessage() + " [" + a.code() + "]");
            } else {
                err.println("atrium: " + ex.getMessage());
            }
            err.flush();
            return ex instanceof AdminException a && "PERMISSION_DENIED".equals(a.code()) ? 77 : 1;
        });
        return cl;
    }

    /** {@code run} keeps the JVM alive until the node stops; everything else exits when done. */
    public static boolean isRun(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a.equals("run");
            }
        }
        return false;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AtriumCommand.class.getPackage().getImplementationVersion();
            return new String[] {"atrium " + (v == null ? "dev" : v)};
        }
    }

    /** Base of commands answered by the node over the admin socket. */
    abstract static class Remote implements Callable<Integer> {
        @CommandLine.ParentCommand
        Object parent;

        AtriumCommand root() {
            Object p = parent;
            while (!(p instanceof AtriumCommand)) {
                p = ((Remote) p).parent;
            }
            return (AtriumCommand) p;
        }

        int call(String command, List<String> args) throws Exception {
            AtriumCommand root = root();
            AdminClient client = new AdminClient(root.stateDir().resolve("admin.sock"));
            JsonNode result = client.call(command, args, p -> System.err.println(p));
            System.out.println(root.json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(result)
                    : Output.render(result));
            return 0;
        }
    }

    @Command(name = "status", description = "Show whether the node runs and what it holds.")
    static final class Status extends Remote {
        @Override
        public Integer call() throws Exception {
            return call("status", List.of());
        }
    }

    @Command(name = "bundle", description = "Manage bundles: list | install JAR | update NAME JAR | rollback NAME | uninstall NAME | start NAME | stop NAME.")
    static final class Bundle extends Remote {
        @Parameters(arity = "1..*", paramLabel = "ARGS", description = "Operation and its arguments.")
        List<String> args = new ArrayList<>();

        @Option(names = "--allow-downgrade", description = "Let update install a lower version.")
        boolean allowDowngrade;

        @Option(names = "--dry-run", description = "For update: run every check (signature, state format, wiring) and change nothing.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            List<String> a = new ArrayList<>(args);
            // Paths are resolved here, where the user's working directory is known.
            if (a.size() >= 2 && a.get(0).equals("install")) {
                a.set(1, Path.of(a.get(1)).toAbsolutePath().toString());
            } else if (a.size() >= 3 && a.get(0).equals("update")) {
                a.set(2, Path.of(a.get(2)).toAbsolutePath().toString());
            }
            if (allowDowngrade) {
                a.add("--allow-downgrade");
            }
            if (dryRun) {
                a.add("--dry-run");
            }
            return call("bundle", a);
        }
    }

    @Command(name = "sandboxers", description = "List sandboxers: name, bundle version, state, pod count.")
    static final class Sandboxers extends Remote {
        @Override
        public Integer call() throws Exception {
            return call("sandboxers", List.of());
        }
    }

    @Command(name = "images", description = "Manage images: pull REF | import PATH | ls | rm REF | inspect REF.")
    static final class Images extends Remote {
        @Parameters(arity = "1..*", paramLabel = "ARGS")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<String> a = new ArrayList<>(args);
            if (a.size() >= 2 && a.get(0).equals("import")) {
                a.set(1, Path.of(a.get(1)).toAbsolutePath().toString());
            }
            return call("images", a);
        }
    }

    @Command(name = "pods", description = "List pods.")
    static final class Pods extends Remote {
        @Parameters(arity = "0..*", paramLabel = "ARGS")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return call("pods", args);
        }
    }

    @Command(name = "ps", description = "List containers.")
    static final class Ps extends Remote {
        @Parameters(arity = "0..*", paramLabel = "ARGS")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return call("ps", args);
        }
    }

    @Command(name = "call", hidden = true, description = "Send any command word to the node (for bundle-contributed commands).")
    static final class Call extends Remote {
        @Parameters(index = "0", paramLabel = "COMMAND")
        String command;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARGS")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return call(command, args);
        }
    }
}
