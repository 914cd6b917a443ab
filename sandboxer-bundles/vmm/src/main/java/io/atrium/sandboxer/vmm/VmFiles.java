package io.atrium.sandboxer.vmm;

import java.nio.file.Path;

/** The files of one VM in its runtime directory. */
record VmFiles(Path dir) {
    Path qmp() {
        return dir.resolve("qmp.sock");
    }

    Path agent() {
        return dir.resolve("agent.sock");
    }

    Path stdio() {
        return dir.resolve("stdio.sock");
    }

    Path console() {
        return dir.resolve("console.log");
    }

    Path qemuLog() {
        return dir.resolve("qemu.log");
    }

    Path disks() {
        return dir.resolve("disks");
    }
}
