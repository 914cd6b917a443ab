package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.Resources;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The VM's shape from pod resources, the QEMU command line and the settings read from framework properties. */
class QemuCommandTest {
    private final VmmSettings settings = VmmSettings.of(new NodePaths(Path.of("/var/lib/atrium"), Path.of("/run/atrium")),
            Path.of("/opt/guest"));

    @Test
    void aPodWithoutLimitsGetsTheDefaultsAndLimitsAddTheOverhead() {
        assertEquals(new VmShape(1, 256), VmShape.of(Resources.NONE, settings));
        Resources limited = new Resources(0, 50_000, 100_000, "", "", 512L << 20, 0, 0, 0, null, null);
        VmShape shape = VmShape.of(limited, settings);
        assertEquals(Math.min(2, Runtime.getRuntime().availableProcessors()), shape.vcpus(), "1 + ceil(0.5 CPU)");
        assertEquals(512 + 64, shape.memoryMib());
    }

    @Test
    void theCommandLineFollowsTheContract() {
        VmFiles files = new VmFiles(Path.of("/run/atrium/sandboxers/vmm/abc"));
        GuestNetwork net = new GuestNetwork("0a:58:0a:00:00:05", "10.0.0.5/24", "10.0.0.1", 1500);
        List<String> cmd = QemuCommand.build(settings, files, "abcdef0123456789", "web-1", new VmShape(2, 320), "tcg", net,
                Path.of("/run/atrium/netns/abc/net"));
        assertEquals(List.of("nsenter", "--net=/run/atrium/netns/abc/net", "--", "/usr/bin/qemu-system-x86_64"),
                cmd.subList(0, 4));
        String line = String.join(" ", cmd);
        assertTrue(line.contains("-machine q35,accel=tcg"), line);
        assertTrue(line.contains("-smp 2 -m 320M"), line);
        assertTrue(line.contains("-kernel /opt/guest/vmlinuz -initrd /opt/guest/initramfs.cpio.gz"), line);
        assertTrue(line.contains("virtserialport,bus=vser0.0,chardev=agent,name=io.atrium.agent"), line);
        assertTrue(line.contains("virtserialport,bus=vser0.0,chardev=stdio,name=io.atrium.stdio"), line);
        assertTrue(line.contains("path=/run/atrium/sandboxers/vmm/abc/agent.sock,server=on,wait=off"), line);
        assertTrue(line.contains("-device virtio-net-pci,netdev=n0,mac=0a:58:0a:00:00:05"), line);
        assertEquals(QemuCommand.DISK_PORTS, cmd.stream().filter(a -> a.startsWith("pcie-root-port,")).count());
        int append = cmd.indexOf("-append");
        assertEquals("console=ttyS0 panic=-1 quiet cryptomgr.notests atrium.hostname=web-1 atrium.ip=10.0.0.5/24 atrium.gw=10.0.0.1",
                cmd.get(append + 1));

        List<String> noNet = QemuCommand.build(settings, files, "abc", "h", new VmShape(1, 256), "kvm", null, null);
        assertEquals("/usr/bin/qemu-system-x86_64", noNet.get(0));
        assertFalse(String.join(" ", noNet).contains("netdev"));
        assertTrue(String.join(" ", noNet).contains("-cpu host"));
    }

    @Test
    void settingsComeFromAtriumVmmPropertiesAndBadValuesAreRefused() {
        NodePaths paths = new NodePaths(Path.of("/r"), Path.of("/s"));
        Map<String, String> props = Map.of("atrium.home", "/opt/atrium", "atrium.vmm.accel", "TCG",
                "atrium.vmm.boot.timeout.seconds", "5", "atrium.vmm.memory.mib", "512");
        VmmSettings s = VmmSettings.from(paths, props::get);
        assertEquals("tcg", s.accel());
        assertEquals(5, s.bootTimeout().toSeconds());
        assertEquals(512, s.memoryMib());
        assertEquals(Path.of("/opt/atrium/guest"), s.guestDir());
        assertEquals(Path.of("/r/sandboxers/vmm"), s.state());
        assertThrows(IllegalArgumentException.class, () -> VmmSettings.from(paths,
                Map.of("atrium.vmm.accel", "hvf")::get));
        assertThrows(IllegalArgumentException.class, () -> VmmSettings.from(paths,
                Map.of("atrium.vmm.vcpus", "two")::get));
    }
}
