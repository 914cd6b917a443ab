package io.atrium.vmm.guest;

import io.atrium.containerd.task.v2.StateRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One QEMU (TCG) VM booting the built guest, with the two virtio-serial ports of the contract as unix sockets and
 * some virtio-blk disks identified by serial. Closing it kills QEMU by its PID.
 */
final class GuestVm implements AutoCloseable {
    final Path dir;
    final Process qemu;
    final long startNanos;
    final Path console;
    TtrpcTestClient agent;
    StdioMux stdio;
    long readyMillis = -1;

    private GuestVm(Path dir, Process qemu, long startNanos) {
        this.dir = dir;
        this.qemu = qemu;
        this.startNanos = startNanos;
        this.console = dir.resolve("console.log");
    }

    static Path guestDir() {
        return Path.of(System.getProperty("atrium.guest.dir", "target/guest"));
    }

    static GuestVm boot(Path dir, String cmdlineExtra, Map<String, Path> disksBySerial) throws IOException {
        Path guest = guestDir();
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
                "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-kernel", guest.resolve("vmlinuz").toString(), "-initrd", guest.resolve("initramfs.cpio.gz").toString(),
                "-append", "console=ttyS0 panic=-1 quiet cryptomgr.notests " + cmdlineExtra,
                "-serial", "file:" + dir.resolve("console.log"),
                "-device", "virtio-serial-pci,id=vser0",
                "-chardev", "socket,id=agent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=io.atrium.agent",
                "-chardev", "socket,id=stdio,path=" + dir.resolve("stdio.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=stdio,name=io.atrium.stdio",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off",
                // a free PCIe slot for a disk hot-plugged after boot, as the vmm sandboxer adds container disks
                "-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1"));
        int i = 0;
        for (var e : disksBySerial.entrySet()) {
            cmd.addAll(List.of("-drive", "file=" + e.getValue() + ",if=none,id=disk" + i + ",format=raw",
                    "-device", "virtio-blk-pci,drive=disk" + i + ",serial=" + e.getKey()));
            i++;
        }
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.out").toFile()).start();
        return new GuestVm(dir, p, start);
    }

    /** connects both sockets and probes with State until the agent answers; records boot-to-ready time */
    void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(dir.resolve("agent.sock")) || !Files.exists(dir.resolve("stdio.sock"))) {
            if (!qemu.isAlive()) throw new AssertionError("QEMU exited: " + Files.readString(dir.resolve("qemu.out")));
            check(end);
            Thread.sleep(10);
        }
        // QEMU creates the socket files a moment before it listens on them
        while (agent == null || stdio == null) {
            check(end);
            try {
                if (agent == null) agent = new TtrpcTestClient(dir.resolve("agent.sock"));
                if (stdio == null) stdio = new StdioMux(dir.resolve("stdio.sock"));
            } catch (java.net.ConnectException e) {
                Thread.sleep(10);
            }
        }
        // data sent before the agent opens its port is dropped by the guest driver, so the probe repeats
        while (true) {
            check(end);
            CompletableFuture<TtrpcTestClient.Reply> f = agent.callAsync("State", StateRequest.newBuilder().setId("ready-probe").build());
            try {
                f.get(100, TimeUnit.MILLISECONDS);
                readyMillis = (System.nanoTime() - startNanos) / 1_000_000;
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                // not yet
            }
        }
    }

    private void check(long end) throws IOException {
        if (System.nanoTime() > end)
            throw new AssertionError("guest did not answer in time; console:\n" + consoleLog());
        if (!qemu.isAlive()) throw new AssertionError("QEMU exited; console:\n" + consoleLog());
    }

    String consoleLog() {
        try {
            return Files.exists(console) ? Files.readString(console) : "(no console log)";
        } catch (IOException e) {
            return "(console unreadable: " + e + ")";
        }
    }

    /** hot-plugs a raw disk image as virtio-blk with the given serial through QMP (blockdev-add + device_add) */
    void hotplugDisk(String serial, Path image) throws IOException {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(dir.resolve("qmp.sock")));
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(ch)));
            var out = java.nio.channels.Channels.newOutputStream(ch);
            in.readLine(); // greeting
            qmp(in, out, "{\"execute\":\"qmp_capabilities\"}");
            qmp(in, out, "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"hp-" + serial
                    + "\",\"file\":{\"driver\":\"file\",\"filename\":\"" + image + "\"}}}");
            qmp(in, out, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"virtio-blk-pci\",\"id\":\"dev-" + serial
                    + "\",\"drive\":\"hp-" + serial + "\",\"serial\":\"" + serial + "\",\"bus\":\"rp0\"}}");
        }
    }

    private static void qmp(java.io.BufferedReader in, java.io.OutputStream out, String command) throws IOException {
        out.write((command + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.contains("\"return\"")) return;
            if (line.contains("\"error\"")) throw new IOException("QMP " + command + ": " + line);
        }
        throw new IOException("QMP closed");
    }

    @Override
    public void close() throws Exception {
        try {
            if (agent != null) agent.close();
            if (stdio != null) stdio.close();
        } finally {
            // always: by PID, then wait so no QEMU outlives the test
            ProcessHandle.of(qemu.pid()).ifPresent(ProcessHandle::destroyForcibly);
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
