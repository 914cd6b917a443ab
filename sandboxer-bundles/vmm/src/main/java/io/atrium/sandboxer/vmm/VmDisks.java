package io.atrium.sandboxer.vmm;

import io.atrium.sandboxer.vmm.qmp.QmpClient;
import io.atrium.sandboxer.vmm.qmp.QmpException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Hot-plugs container root disks into a running VM over QMP: {@code blockdev-add} of the raw image
 * file, then {@code device_add} of a virtio-blk-pci device carrying the serial the agent looks for,
 * into a free PCIe root port; and the reverse on removal, waiting for the guest to release the
 * device (DEVICE_DELETED) before the block node goes.
 */
final class VmDisks {
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    private final QmpClient qmp;
    private final Map<String, CompletableFuture<Void>> deleted = new ConcurrentHashMap<>();

    VmDisks(QmpClient qmp) {
        this.qmp = qmp;
        qmp.onEvent(e -> {
            if ("DEVICE_DELETED".equals(e.path("event").asText())) {
                CompletableFuture<Void> f = deleted.get(e.path("data").path("device").asText());
                if (f != null) {
                    f.complete(null);
                }
            }
        });
    }

    /** The serial of a container's disk: the first 20 characters of its id (virtio-blk's limit). */
    static String serial(String containerId) {
        return containerId.length() > 20 ? containerId.substring(0, 20) : containerId;
    }

    void attach(String serial, int port, Path image) throws QmpException {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("driver", "file");
        file.put("filename", image.toString());
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", "raw");
        node.put("node-name", nodeName(serial));
        node.put("file", file);
        qmp.execute("blockdev-add", node, QMP_TIMEOUT);
        try {
            qmp.execute("device_add", Map.of("driver", "virtio-blk-pci", "id", deviceId(serial), "drive", nodeName(serial),
                    "serial", serial, "bus", "rp" + port), QMP_TIMEOUT);
        } catch (QmpException e) {
            try {
                qmp.execute("blockdev-del", Map.of("node-name", nodeName(serial)), QMP_TIMEOUT);
            } catch (QmpException ignored) {
                // the add failed as a whole; the VM keeps an unused block node at worst
            }
            throw e;
        }
    }

    /** Unplugs the disk; waits up to {@code wait} for the guest to let it go. */
    void detach(String serial, Duration wait) throws QmpException {
        CompletableFuture<Void> gone = new CompletableFuture<>();
        deleted.put(deviceId(serial), gone);
        try {
            qmp.execute("device_del", Map.of("id", deviceId(serial)), QMP_TIMEOUT);
            gone.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (QmpException e) {
            if (!"DeviceNotFound".equals(e.errorClass())) {
                throw e;
            }
        } catch (Exception e) {
            // the guest did not release it in time: the block node stays busy until the VM ends
        } finally {
            deleted.remove(deviceId(serial));
        }
        try {
            qmp.execute("blockdev-del", Map.of("node-name", nodeName(serial)), QMP_TIMEOUT);
        } catch (QmpException e) {
            // still in use by a device the guest holds, or never added: both end with the VM
        }
    }

    static String nodeName(String serial) {
        return "d" + serial;
    }

    static String deviceId(String serial) {
        return "disk-" + serial;
    }
}
