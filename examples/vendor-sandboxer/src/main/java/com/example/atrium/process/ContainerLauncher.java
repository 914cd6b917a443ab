package com.example.atrium.process;

import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts a container on the host: mounts its root filesystem with mount(8), starts its process
 * with util-linux {@code unshare --root --wd} (which chroots, changes directory and execs, so the
 * pid we get is the container's own), and undoes the mounts.
 *
 * <p>Output goes straight into raw files in the container's run directory, not through pipes
 * into this JVM: a pipe would die with this bundle instance, a file outlives any swap.
 */
final class ContainerLauncher {

    private static final String UNSHARE = "/usr/bin/unshare";

    /** The run directory of one container: raw output, log offsets and the rootfs mount point. */
    record RunDir(Path dir) {
        Path rootfs() {
            return dir.resolve("rootfs");
        }

        Path rawOutput(String stream) {
            return dir.resolve(stream);
        }
    }

    /** Mounts {@code mounts} in order at the container's rootfs directory; undoes them all if one fails. */
    Path mountRootfs(RunDir run, List<Mount> mounts) {
        Path target = run.rootfs();
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot create rootfs mount point " + target + ": " + e.getMessage(), e);
        }
        List<Path> done = new ArrayList<>();
        try {
            for (Mount m : mounts) {
                Path at = m.target() == null || m.target().isEmpty() || m.target().equals("/") ? target
                        : target.resolve(m.target().replaceFirst("^/+", "")).normalize();
                if (!at.startsWith(target)) {
                    throw SandboxException.invalid("rootfs mount target " + m.target() + " leaves the root filesystem");
                }
                mount(m, at);
                done.add(at);
            }
        } catch (RuntimeException e) {
            for (int i = done.size() - 1; i >= 0; i--) {
                umountQuietly(done.get(i));
            }
            throw e;
        }
        return target;
    }

    private static void mount(Mount m, Path at) {
        List<String> cmd = new ArrayList<>(List.of("mount"));
        boolean bind = m.type().equals("bind") || m.type().equals("rbind") || m.options().contains("bind")
                || m.options().contains("rbind");
        if (!bind && !m.type().isEmpty()) {
            cmd.addAll(List.of("-t", m.type()));
        }
        List<String> options = new ArrayList<>(m.options());
        if (bind && !options.contains("bind") && !options.contains("rbind")) {
            options.add(0, m.type().equals("rbind") ? "rbind" : "bind");
        }
        if (!options.isEmpty()) {
            cmd.addAll(List.of("-o", String.join(",", options)));
        }
        cmd.addAll(List.of(m.source() == null || m.source().isEmpty() ? "none" : m.source(), at.toString()));
        String failure = run(cmd);
        if (failure != null) {
            throw new SandboxException(Reason.INTERNAL, "cannot mount " + m.type() + " " + m.source() + " at " + at + ": " + failure);
        }
    }

    /** Starts the container's main process chrooted into {@code root}. */
    Process start(String containerId, LaunchSpec spec, Path root, RunDir run, boolean captureOutput) {
        if (!Files.isDirectory(root)) {
            throw new SandboxException(Reason.FAILED_PRECONDITION, "root filesystem " + root + " of container " + containerId
                    + " is not a directory");
        }
        List<String> cmd = new ArrayList<>(List.of(UNSHARE, "--root=" + root, "--wd=" + spec.cwd()));
        if (spec.gid() != 0) {
            cmd.add("--setgid=" + spec.gid());
        }
        if (spec.uid() != 0) {
            cmd.add("--setuid=" + spec.uid());
        }
        cmd.add("--");
        cmd.addAll(spec.args());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(spec.environment());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (captureOutput) {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(run.rawOutput("stdout").toFile()));
            pb.redirectError(ProcessBuilder.Redirect.appendTo(run.rawOutput("stderr").toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        try {
            Files.createDirectories(run.dir());
            return pb.start();
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot start container " + containerId + " (" + String.join(" ", cmd)
                    + "): " + e.getMessage(), e);
        }
    }

    /**
     * Undoes the rootfs mounts and removes the run directory. Never deletes recursively: if an
     * unmount failed, removing the still-mounted rootfs directory fails instead of emptying it.
     */
    void release(RunDir run, boolean mounted) {
        if (mounted) {
            String failure = run(List.of("umount", "--recursive", run.rootfs().toString()));
            if (failure != null && !failure.contains("not mounted")) {
                throw new SandboxException(Reason.INTERNAL, "cannot unmount rootfs " + run.rootfs() + ": " + failure);
            }
        }
        try {
            for (String f : List.of("stdout", "stderr", "stdout.offset", "stderr.offset")) {
                Files.deleteIfExists(run.dir().resolve(f));
            }
            Files.deleteIfExists(run.rootfs());
            Files.deleteIfExists(run.dir());
        } catch (DirectoryNotEmptyException e) {
            throw new SandboxException(Reason.INTERNAL, "run directory " + e.getFile() + " is not empty; left in place");
        } catch (IOException e) {
            throw new SandboxException(Reason.INTERNAL, "cannot remove " + run.dir() + ": " + e.getMessage(), e);
        }
    }

    private static void umountQuietly(Path at) {
        run(List.of("umount", at.toString()));
    }

    /** Runs a short helper command; returns null on success, otherwise its error output. */
    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", cmd) + " did not finish within 30 s";
            }
            return p.exitValue() == 0 ? null : (out.isEmpty() ? String.join(" ", cmd) + " exited with " + p.exitValue() : out);
        } catch (IOException e) {
            return "cannot run " + cmd.get(0) + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while running " + String.join(" ", cmd);
        }
    }
}
