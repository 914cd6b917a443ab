package io.atrium.bindings.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Real-format v2 interface files (test resources) for the controllers this host cannot enable in v2. */
class CgroupV2StatsTest {
    private static final List<String> FILES = List.of("cpu.stat", "memory.current", "memory.stat", "memory.max",
            "memory.events", "pids.current", "pids.max");

    private static Map<String, String> load(String dir) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String f : FILES) {
            try (InputStream in = CgroupV2StatsTest.class.getResourceAsStream("/cgroup2/" + dir + "/" + f)) {
                if (in != null) {
                    m.put(f, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return m;
    }

    @Test
    void fullSetOfControllers() throws IOException {
        CgroupStats s = CgroupV2Stats.parse(load("full"));
        assertEquals(new CgroupStats.Cpu(8_143_513_000L, 5_392_315_000L, 2_751_198_000L), s.cpu());
        assertEquals(52_035_584L, s.memory().usage());
        assertEquals(52_035_584L - 12_582_912L, s.memory().workingSet(), "usage - inactive_file, as the kubelet");
        assertEquals(31_457_280L, s.memory().rss(), "anon");
        assertEquals(142_311L, s.memory().pageFaults());
        assertEquals(37L, s.memory().majorPageFaults());
        assertEquals(134_217_728L, s.memory().limit());
        assertEquals(new CgroupStats.Pids(7, -1), s.pids());
        assertEquals(OptionalLong.of(2), s.oomEvents());
        assertEquals(1, s.oomKills());
    }

    @Test
    void missingControllersReadAsZeroAndUnlimited() throws IOException {
        CgroupStats s = CgroupV2Stats.parse(load("nomem"));
        assertEquals(1_200_000L, s.cpu().usageNanos());
        assertEquals(new CgroupStats.Memory(0, 0, 0, 0, 0, -1), s.memory());
        assertEquals(new CgroupStats.Pids(0, -1), s.pids());
        assertTrue(s.oomEvents().isEmpty());
    }

    @Test
    void workingSetNeverNegative() {
        Map<String, String> m = Map.of("memory.current", "4096\n", "memory.stat", "inactive_file 8192\n");
        assertEquals(0, CgroupV2Stats.parse(m).memory().workingSet());
    }

    @Test
    void sharesToWeightMatchesRunc() {
        assertEquals(1, CgroupV2Stats.sharesToWeight(2));
        assertEquals(39, CgroupV2Stats.sharesToWeight(1024));
        assertEquals(10000, CgroupV2Stats.sharesToWeight(262144));
    }
}
