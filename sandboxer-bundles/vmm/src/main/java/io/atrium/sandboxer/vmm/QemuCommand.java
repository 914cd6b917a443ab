package io.atrium.sandboxer.vmm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU command line of one pod VM (see /work/helpers/VMM-CONTRACT.md, the host/guest contract):
 * q35 with PCIe root ports for hot-plugged container disks, the guest's kernel and initramfs, QMP and
 * two virtio-serial ports (ttrpc to the agent, stdio multiplex) on unix sockets in the VM directory,
 * the serial console into a file, and a tap NIC when the pod has a network.
 */
final class QemuCommand {
    /** PCIe root ports created at boot; each takes one hot-plugged container disk. */
    static final int DISK_PORTS = 8;
    static final String AGENT_PORT = "io.atrium.agent";
    static final String STDIO_PORT = "io.atrium.stdio";

    private QemuCommand() {
    }

    static List<String> build(VmmSettings s, VmFiles files, String sandboxId, String hostname, VmShape shape,
            String accel, GuestNetwork net, Path netns) {
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            // QEMU opens the tap inside the pod netns; nsenter execs it, so the pid stays QEMU's
            cmd.addAll(List.of("nsenter", "--net=" + netns, "--"));
        }
        cmd.add(s.qemuBinary().toString());
        cmd.addAll(List.of(
                "-name", "atrium-" + shortId(sandboxId) + ",debug-threads=off",
                "-machine", "q35,accel=" + accel,
                "-cpu", accel.equals("kvm") ? "host" : "max",
                "-smp", Integer.toString(shape.vcpus()),
                "-m", shape.memoryMib() + "M",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-kernel", s.kernel().toString(),
                "-initrd", s.initrd().toString(),
                "-append", cmdline(s, hostname, net),
                "-qmp", "unix:" + files.qmp() + ",server=on,wait=off",
                "-serial", "file:" + files.console(),
                "-device", "virtio-serial-pci,id=vser0",
                "-chardev", "socket,id=agent,path=" + files.agent() + ",server=on,wait=off",
                "-device", "virtserialport,bus=vser0.0,chardev=agent,name=" + AGENT_PORT,
                "-chardev", "socket,id=stdio,path=" + files.stdio() + ",server=on,wait=off",
                "-device", "virtserialport,bus=vser0.0,chardev=stdio,name=" + STDIO_PORT,
                "-device", "virtio-rng-pci"));
        for (int i = 0; i < DISK_PORTS; i++) {
            cmd.addAll(List.of("-device", "pcie-root-port,id=rp" + i + ",bus=pcie.0,chassis=" + (i + 1)
                    + ",slot=" + (i + 1)));
        }
        if (net != null) {
            cmd.addAll(List.of("-netdev", "tap,id=n0,ifname=" + TapNetwork.TAP + ",script=no,downscript=no,vhost=off",
                    "-device", "virtio-net-pci,netdev=n0,mac=" + net.mac()));
        }
        return cmd;
    }

    static String cmdline(VmmSettings s, String hostname, GuestNetwork net) {
        // cryptomgr.notests: skips the cloud kernel's boot-time crypto self-tests, a second or more under TCG
        StringBuilder b = new StringBuilder("console=ttyS0 panic=-1 quiet cryptomgr.notests");
        b.append(" atrium.hostname=").append(hostname);
        if (net != null) {
            b.append(" atrium.ip=").append(net.cidr());
            if (!net.gateway().isEmpty()) {
                b.append(" atrium.gw=").append(net.gateway());
            }
        }
        if (s.debug()) {
            b.append(" atrium.debug=1");
        }
        return b.toString();
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
