package io.atrium.sandboxer.ociruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.sandbox.api.SandboxException;
import io.atrium.sandbox.api.SandboxException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI wrapper against the real runc: version, global flags, error categories. */
class OciRuntimeTest {
    private static final Path RUNC = Path.of("/usr/sbin/runc");

    @TempDir
    Path dir;

    private OciRuntime runc(List<String> globalFlags) {
        assumeTrue(Files.isExecutable(RUNC), "runc is not installed at " + RUNC);
        return new OciRuntime(new OciRuntime.Settings("runc", RUNC, dir.resolve("root"), globalFlags, Duration.ofSeconds(30)));
    }

    @Test
    void versionDropsTheProgramName() {
        String v = runc(List.of()).version();
        assertFalse(v.startsWith("runc"), v);
        assertTrue(v.matches("\\d+\\.\\d+.*"), v);
    }

    @Test
    void unknownContainersAreEmptyStateAndNotFoundForCommands() {
        OciRuntime runc = runc(List.of());
        assertTrue(runc.state("nobody").isEmpty());
        SandboxException e = assertThrows(SandboxException.class, () -> runc.start("nobody"));
        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().startsWith("runc failed to start container nobody"), e.getMessage());
        runc.deleteForce("nobody"); // missing is fine
    }

    @Test
    void globalFlagsGoBeforeEverySubcommand() {
        // an unknown global flag makes runc fail before the subcommand: proof that it was passed, and where
        OciRuntime bad = runc(List.of("--no-such-flag"));
        SandboxException e = assertThrows(SandboxException.class, () -> bad.state("x"));
        assertTrue(e.getMessage().contains("no-such-flag"), e.getMessage());
        assertTrue(runc(List.of("--systemd-cgroup=false")).state("x").isEmpty());
    }

    @Test
    void createFailureCarriesTheRuntimesLoggedMessage() throws Exception {
        OciRuntime runc = runc(List.of());
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\"}");
        SandboxException e = assertThrows(SandboxException.class, () -> runc.create("c1", bundle, bundle.resolve("pid"),
                bundle.resolve("runc.log"), StdioPaths.NULL));
        assertTrue(e.getMessage().startsWith("runc failed to create container c1"), e.getMessage());
        assertFalse(e.getMessage().endsWith("(exit 1): "), e.getMessage());
        assertTrue(runc.state("c1").isEmpty());
    }
}
