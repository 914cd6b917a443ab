package io.atrium.sandboxer.gvisor;

import io.atrium.bindings.process.ExitEvent;
import io.atrium.bindings.process.ProcStat;
import io.atrium.bindings.process.ProcessReaper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * runsc forks its sandbox, gofer and exec-waiter processes and exits, so they are reparented to the node
 * JVM (the child subreaper). This finds the sandbox and gofer processes of our runsc root (they carry
 * {@code --root=<root>}) among the JVM's children and has the reaper watch each by pidfd, so their statuses
 * are collected exactly (never {@code waitpid(-1)}) and no zombie stays. Exec waiters are watched by their exec.
 */
final class RunscChildren {
    private static final Logger LOG = Logger.getLogger(RunscChildren.class.getName());

    private static final int NOBODY = 65534;

    private final ProcessReaper reaper;
    private final String rootFlag;
    private final int self = (int) ProcessHandle.current().pid();

    RunscChildren(ProcessReaper reaper, Path runscRoot) {
        this.reaper = reaper;
        this.rootFlag = "--root=" + runscRoot;
    }

    /** Watches every child of this JVM that is a runsc process of our root. */
    void collect() {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                int pid = Integer.parseInt(p.getFileName().toString());
                try {
                    Optional<ProcStat> st = ProcStat.read(pid);
                    if (st.isPresent() && st.get().ppid() == self && (ours(pid) || platformStub(st.get()))) {
                        reaper.watch(pid);
                    }
                } catch (IOException e) {
                    // gone meanwhile, or collected by its own watcher
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list /proc to collect runsc processes", e);
        }
    }

    /**
     * Watches a process of ours by pid: exactly if it is the JVM's child (it gives its status), else through
     * its pidfd only (a node restarted since it started).
     */
    CompletableFuture<ExitEvent> watch(int pid) throws IOException {
        Optional<ProcStat> st = ProcStat.read(pid);
        if (st.isPresent() && st.get().ppid() == self) {
            return reaper.watch(pid);
        }
        return reaper.adopt(pid);
    }

    /**
     * Collects what a sandbox that just ended leaves: its platform stubs (the ptrace platform's traced
     * processes) are reparented to the JVM when gVisor's kernel process dies and linger as zombies.
     */
    void collectAfterSandboxExit() {
        for (int i = 0; i < 10; i++) {
            collect();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A dead platform stub of a runsc sandbox: a zombie named {@code exe} (runsc re-executes /proc/self/exe)
     * that ran as {@code nobody}, the user runsc's sandbox drops to. A zombie's cmdline and cgroup are gone,
     * so these are what is left to recognise it by.
     */
    private static boolean platformStub(ProcStat st) {
        if (!st.isZombie() || !"exe".equals(st.comm())) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(st.pid()), "status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals(Integer.toString(NOBODY));
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private boolean ours(int pid) {
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8);
            for (String arg : cmdline.split("\0")) {
                if (arg.equals(rootFlag)) {
                    return true;
                }
            }
            // the waiter of "exec --detach" keeps our "--root X" as two words: it is watched by its exec
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
