package io.atrium.vmm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the guest build produced: the initramfs layout, the manifest, and the content-hash cache. */
class GuestImageTest {
    private static Path guest;
    private static Properties manifest;

    @BeforeAll
    static void load() throws IOException {
        guest = GuestVm.guestDir();
        assumeTrue(Files.isRegularFile(guest.resolve("MANIFEST")), "guest not built at " + guest);
        manifest = new Properties();
        try (var r = Files.newBufferedReader(guest.resolve("MANIFEST"))) {
            manifest.load(r);
        }
    }

    @Test
    void initramfsHoldsTheStaticAgentAsInitBusyboxAndTheListedModules() throws Exception {
        Map<String, byte[]> files = readNewc(guest.resolve("initramfs.cpio.gz"));
        byte[] init = files.get("init");
        assertTrue(init != null && init.length > 4, "no /init in " + files.keySet());
        assertEquals("\u007fELF", new String(init, 0, 4, StandardCharsets.ISO_8859_1));
        assertTrue(files.containsKey("bin/busybox"));
        assertEquals(manifest.getProperty("agent.sha256"), sha256(init));

        List<String> modules = List.of(new String(files.get("etc/atrium-modules"), StandardCharsets.UTF_8).strip().split("\n"));
        assertEquals(List.of(manifest.getProperty("modules").split(" ")), modules);
        for (String m : modules) assertTrue(files.containsKey(m.substring(1)), "module file missing: " + m);
        // dependencies come before the modules that need them
        assertTrue(indexOf(modules, "/virtio.ko") < indexOf(modules, "/virtio_console.ko"), modules.toString());
        assertTrue(indexOf(modules, "/virtio_ring.ko") < indexOf(modules, "/virtio_pci.ko"), modules.toString());
        assertTrue(indexOf(modules, "/failover.ko") < indexOf(modules, "/virtio_net.ko"), modules.toString());
        assertTrue(modules.stream().allMatch(m -> m.startsWith("/lib/modules/" + manifest.getProperty("kernel.release") + "/")));
    }

    @Test
    void manifestDescribesTheFilesBesideIt() throws Exception {
        assertEquals(manifest.getProperty("vmlinuz.sha256"), sha256(Files.readAllBytes(guest.resolve("vmlinuz"))));
        assertEquals(manifest.getProperty("initramfs.sha256"), sha256(Files.readAllBytes(guest.resolve("initramfs.cpio.gz"))));
        assertTrue(manifest.getProperty("kernel.package").startsWith("linux-image-"), manifest.toString());
        assertTrue(manifest.getProperty("kernel.release").endsWith("-cloud-amd64"), manifest.toString());
    }

    @Test
    void unchangedInputsAreServedFromTheCache() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-cache")), "apt-cache missing");
        Path out = Files.createTempDirectory("guest-again");
        try {
            Process p = new ProcessBuilder("bash", "src/build/build-guest.sh", "src/main/c", out.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), log);
            assertTrue(log.contains("cached guest " + manifest.getProperty("hash")), log);
            assertEquals(Files.readString(guest.resolve("MANIFEST")), Files.readString(out.resolve("MANIFEST")));
        } finally {
            try (var s = Files.list(out)) {
                for (Path f : s.toList()) Files.delete(f);
            }
            Files.delete(out);
        }
    }

    private static int indexOf(List<String> modules, String suffix) {
        for (int i = 0; i < modules.size(); i++) if (modules.get(i).endsWith(suffix)) return i;
        throw new AssertionError("no module ending in " + suffix + " in " + modules);
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** reads a gzip'd cpio "newc" archive (110-byte ASCII headers, 4-byte alignment) into name -> content */
    private static Map<String, byte[]> readNewc(Path file) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream raw = new GZIPInputStream(Files.newInputStream(file)); DataInputStream in = new DataInputStream(raw)) {
            long pos = 0;
            while (true) {
                byte[] hdr = new byte[110];
                in.readFully(hdr);
                pos += 110;
                String h = new String(hdr, StandardCharsets.US_ASCII);
                if (!h.startsWith("070701")) throw new IOException("not newc at " + pos);
                int size = Integer.parseInt(h.substring(54, 62), 16), nameSize = Integer.parseInt(h.substring(94, 102), 16);
                byte[] name = new byte[nameSize];
                in.readFully(name);
                pos += nameSize;
                pos += skip(in, pos);
                String n = new String(name, 0, nameSize - 1, StandardCharsets.UTF_8);
                if (n.equals("TRAILER!!!")) return out;
                byte[] data = new byte[size];
                in.readFully(data);
                pos += size;
                pos += skip(in, pos);
                out.put(n.startsWith("./") ? n.substring(2) : n, data);
            }
        } catch (EOFException e) {
            throw new IOException("truncated initramfs", e);
        }
    }

    private static int skip(DataInputStream in, long pos) throws IOException {
        int pad = (int) ((4 - pos % 4) % 4);
        in.readFully(new byte[pad]);
        return pad;
    }
}
