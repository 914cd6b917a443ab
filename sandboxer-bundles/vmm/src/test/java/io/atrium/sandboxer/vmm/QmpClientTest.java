package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.sandboxer.vmm.qmp.QmpClient;
import io.atrium.sandboxer.vmm.qmp.QmpException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QMP client against a real QEMU (q35, TCG, no guest: the machine is created paused with -S). */
class QmpClientTest {
    @TempDir
    Path dir;
    private QemuProcess qemu;
    private QmpClient qmp;

    @BeforeEach
    void startQemu() throws Exception {
        TestGuest.assumeQemu();
        Path sock = dir.resolve("qmp.sock");
        qemu = QemuProcess.start(List.of("qemu-system-x86_64", "-machine", "q35,accel=tcg", "-nodefaults", "-nographic",
                "-S", "-qmp", "unix:" + sock + ",server=on,wait=off",
                "-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1"), dir.resolve("qemu.log"));
        qmp = qemu.connectQmp(sock, VmStore.mapper(), Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu != null) {
            qemu.kill(Duration.ofSeconds(10));
        }
    }

    @Test
    void greetsNegotiatesAndReportsStatus() throws Exception {
        assertTrue(qmp.qemuVersion().matches("\\d+\\.\\d+\\.\\d+"), qmp.qemuVersion());
        assertEquals("prelaunch", qmp.status(Duration.ofSeconds(5)));
        qmp.execute("cont", null, Duration.ofSeconds(5));
        assertEquals("running", qmp.status(Duration.ofSeconds(5)));
    }

    @Test
    void hotPlugsADiskIntoARootPortAndQueryBlockShowsIt() throws Exception {
        Path image = dir.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        new VmDisks(qmp).attach("serial0123456789abcd", 0, image);
        JsonNode devices = qmp.execute("qom-list", Map.of("path", "/machine/peripheral"), Duration.ofSeconds(5));
        assertTrue(devices.toString().contains("\"name\":\"disk-serial0123456789abcd\""), devices.toString());
        JsonNode serial = qmp.execute("qom-get", Map.of("path", "/machine/peripheral/disk-serial0123456789abcd",
                "property", "serial"), Duration.ofSeconds(5));
        assertEquals("serial0123456789abcd", serial.asText());
        JsonNode nodes = qmp.execute("query-named-block-nodes", null, Duration.ofSeconds(5));
        assertTrue(nodes.toString().contains(image.toString()), nodes.toString());
    }

    @Test
    void anErrorReplyCarriesQemusErrorClassAndCommand() {
        QmpException e = assertThrows(QmpException.class, () -> qmp.execute("device_add",
                Map.of("driver", "virtio-blk-pci", "id", "x", "drive", "no-such-node", "bus", "rp0"), Duration.ofSeconds(5)));
        assertEquals("GenericError", e.errorClass());
        assertTrue(e.getMessage().startsWith("device_add: "), e.getMessage());
        QmpException unknown = assertThrows(QmpException.class, () -> qmp.execute("no-such-command", null,
                Duration.ofSeconds(5)));
        assertEquals("CommandNotFound", unknown.errorClass());
    }

    @Test
    void quitEndsQemuAndFailsLaterCalls() throws Exception {
        qmp.execute("quit", null, Duration.ofSeconds(5));
        assertTrue(qemu.awaitExit(Duration.ofSeconds(10)), "QEMU still runs after quit");
        qmp.closedFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThrows(QmpException.class, () -> qmp.status(Duration.ofSeconds(2)));
        assertFalse(qemu.alive());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(qemu.pid()))), "QEMU left a zombie");
    }
}
