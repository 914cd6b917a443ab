package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the tests need from the machine: QEMU, root, and the guest built by sandboxer-bundles/vmm-guest. */
final class TestGuest {
    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

    private TestGuest() {
    }

    static void assumeQemu() {
        assumeTrue(Files.isExecutable(QEMU), "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
    }

    static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, mounts)");
    }

    /** The guest directory (vmlinuz + initramfs.cpio.gz), or the test is skipped saying how to build it. */
    static Path guest() {
        assumeQemu();
        String p = System.getProperty("atrium.vmm.test.guest", "../vmm-guest/target/guest");
        Path dir = Path.of(p).toAbsolutePath().normalize();
        assumeTrue(Files.isReadable(dir.resolve("vmlinuz")) && Files.isReadable(dir.resolve("initramfs.cpio.gz")),
                "no guest at " + dir + " (build it: mvn -o install -pl sandboxer-bundles/vmm-guest)");
        return dir;
    }
}
