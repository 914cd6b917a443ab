package io.atrium.sandboxer.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.sandbox.api.CreateTask;
import io.atrium.sandbox.api.Mount;
import io.atrium.sandbox.api.NodePaths;
import io.atrium.sandbox.api.SandboxSpec;
import io.atrium.sandbox.api.Stdio;
import io.atrium.sandbox.api.TaskEndpoint;
import io.atrium.sandbox.api.TaskService;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Numbers for docs/benchmarks.md, not a test: {@code mvn surefire:test -Dtest=VmmBenchmark -Dvmm.bench=true}
 * (as root, with the guest built). Each method still checks that what it measured worked.
 */
@EnabledIfSystemProperty(named = "vmm.bench", matches = "true")
class VmmBenchmark {

    /** Boot-to-ready (QEMU start to the agent's first ttrpc answer) and host memory per VM pod. */
    @Test
    void bootToReadyAndMemoryPerVmPod() throws Exception {
        Path guest = TestGuest.guest();
        Path base = Files.createTempDirectory(Path.of("/tmp"), "vmmb");
        VmmSettings s = VmmSettings.of(new NodePaths(base.resolve("root"), base.resolve("run")), guest);
        VmmSandboxer sandboxer = new VmmSandboxer(s);
        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        int pods = 5;
        List<Long> bootMs = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        long threadsBefore = Thread.activeCount();
        long heapBefore = usedHeapAfterGc();
        for (int i = 0; i < pods; i++) {
            String id = "b" + i + "-" + System.nanoTime();
            ids.add(id);
            long t0 = System.nanoTime();
            sandboxer.create(SandboxSpec.of(id, "b" + i, "bench"));
            sandboxer.start(id);
            bootMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            TaskService tasks = ((TaskEndpoint.InProcess) sandboxer.tasks(id)).service();
            tasks.create(new CreateTask("c", BusyboxRootfs.spec(List.of("sleep", "600"), false),
                    List.of(new Mount("bind", rootfs.toString(), "/", List.of())), Stdio.criLog(base.resolve("c" + i + ".log"),
                            false), null));
            tasks.start("c", null);
        }
        Thread.sleep(3000); // let the guests settle after boot
        long heapAfter = usedHeapAfterGc();
        long threadsAfter = Thread.activeCount();
        long guestMib = s.memoryMib();
        List<String> rows = new ArrayList<>();
        long sumOverheadKib = 0;
        for (String id : ids) {
            long pid = sandboxer.status(id, false).pid();
            long[] m = qemuMemory(pid, guestMib << 20);
            sumOverheadKib += m[1] - m[2];
            rows.add("pid " + pid + ": Pss " + m[0] + " KiB, Rss " + m[1] + " KiB, guest RAM touched " + m[2]
                    + " KiB, QEMU beyond guest RAM " + (m[1] - m[2]) + " KiB");
        }
        System.out.println("VMMBENCH boot-to-ready ms (TCG, " + pods + " VMs one after another): " + bootMs);
        rows.forEach(r -> System.out.println("VMMBENCH " + r));
        System.out.println("VMMBENCH mean QEMU memory beyond guest RAM: " + sumOverheadKib / pods + " KiB");
        System.out.println("VMMBENCH sandboxer JVM per pod: heap " + (heapAfter - heapBefore) / pods / 1024 + " KiB, threads "
                + (threadsAfter - threadsBefore) / (double) pods);
        for (String id : ids) {
            sandboxer.stop(id, Duration.ofSeconds(1));
            sandboxer.shutdown(id);
        }
        sandboxer.close();
        VmmSandboxer.deleteTree(base);
        assertEquals(pods, bootMs.size());
    }

    /** ext4 (mke2fs -d) vs erofs (mkfs.erofs) from the same busybox tree, 10 builds each. */
    @Test
    void ext4VersusErofsImageBuild() throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "vmmi");
        Path rootfs = BusyboxRootfs.build(base.resolve("rootfs"));
        long[] ext4 = new long[10];
        long[] erofs = new long[10];
        RootfsImages images = new RootfsImages();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            images.build(List.of(new Mount("bind", rootfs.toString(), "/", List.of())), base.resolve("i" + i + ".ext4"));
            ext4[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
            t0 = System.nanoTime();
            Commands.run(List.of("mkfs.erofs", "-d0", base.resolve("i" + i + ".erofs").toString(), rootfs.toString()));
            erofs[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
        }
        Arrays.sort(ext4);
        Arrays.sort(erofs);
        System.out.println("VMMBENCH image build median us: ext4 " + ext4[5] + " (sparse file " + Files.size(base.resolve("i0.ext4"))
                + " B, allocated " + Commands.run(List.of("du", "-k", base.resolve("i0.ext4").toString())).split("\\s")[0]
                + " KiB), erofs " + erofs[5] + " (" + Files.size(base.resolve("i0.erofs")) + " B)");
        VmmSandboxer.deleteTree(base);
        assertTrue(ext4[5] > 0 && erofs[5] > 0);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * {Pss, Rss, Rss of the guest RAM mapping} of QEMU in KiB: the guest RAM is the anonymous mapping
     * of exactly the guest's memory size, so what it has resident is the RAM the guest touched.
     */
    static long[] qemuMemory(long pid, long guestBytes) throws Exception {
        long pss = 0;
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
            if (line.startsWith("Pss:")) {
                pss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            } else if (line.startsWith("Rss:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        long guestRss = 0;
        boolean inGuest = false;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.split(" ")[0].split("-");
                long size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
                inGuest = size == guestBytes;
            } else if (inGuest && line.startsWith("Rss:")) {
                guestRss += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return new long[] {pss, rss, guestRss};
    }
}
