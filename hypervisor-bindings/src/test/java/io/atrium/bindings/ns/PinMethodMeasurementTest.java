package io.atrium.bindings.ns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.bindings.libc.FsMagic;
import io.atrium.bindings.libc.MountInfo;
import io.atrium.bindings.libc.Mounts;
import io.atrium.bindings.libc.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Times pin+release (net, ipc, uts) with both methods and writes the numbers to
 * target/pin-measurements.txt; docs/bindings.md quotes them. Asserts only that every round worked.
 */
class PinMethodMeasurementTest {
    private static final int ROUNDS = 30;

    @Test
    void measureBothMethods() throws Exception {
        Syscalls sys = new Syscalls();
        Mounts mounts = new Mounts(sys);
        Path state = Files.createDirectories(Path.of("/tmp", "atrium-test-" + UUID.randomUUID()));
        StringBuilder report = new StringBuilder();
        try {
            for (PinMethod method : PinMethod.values()) {
                PodNamespaces pods = new PodNamespaces(sys, mounts, state, method);
                long[] pin = new long[ROUNDS];
                long[] enter = new long[ROUNDS];
                long[] release = new long[ROUNDS];
                for (int i = 0; i < ROUNDS; i++) {
                    long t0 = System.nanoTime();
                    PinnedNamespaces ns = pods.pin("m-" + i, EnumSet.allOf(NamespaceType.class));
                    long t1 = System.nanoTime();
                    String host = pods.run(ns, sys::gethostname);
                    long t2 = System.nanoTime();
                    pods.release(ns);
                    long t3 = System.nanoTime();
                    assertEquals(sys.gethostname(), host, "new UTS namespace starts with the host's name");
                    assertFalse(Files.exists(ns.dir()));
                    pin[i] = t1 - t0;
                    enter[i] = t2 - t1;
                    release[i] = t3 - t2;
                }
                report.append(String.format("%s: pin median %.2f ms (p90 %.2f), enter+run median %.2f ms, release median %.2f ms, %d rounds%n",
                        method, median(pin), p90(pin), median(enter), median(release), ROUNDS));
            }
            assertFalse(MountInfo.current().stream().anyMatch(m -> m.mountPoint().startsWith(state)));
        } finally {
            Files.deleteIfExists(state);
        }
        Path out = Path.of("target", "pin-measurements.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString());
        System.out.print(report);
        assertTrue(report.toString().contains("THREAD") && report.toString().contains("UNSHARE_TOOL"));
        assertEquals(FsMagic.NSFS, sys.statfs(Path.of("/proc/self/ns/net")).type());
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    private static double p90(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(int) (s.length * 0.9)] / 1e6;
    }
}
