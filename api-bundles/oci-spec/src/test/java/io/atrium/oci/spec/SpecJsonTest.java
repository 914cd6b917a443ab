package io.atrium.oci.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecJsonTest {
    private final ObjectMapper mapper = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private static Spec sample() {
        Process process = new Process(false, null, new Process.User(1000, 1000, null, List.of(10L, 20L)),
                List.of("/bin/sh", "-c", "true"), List.of("PATH=/bin"), "/",
                new Process.Capabilities(List.of("CAP_KILL"), List.of("CAP_KILL"), null, List.of("CAP_KILL"), null),
                List.of(new Process.Rlimit("RLIMIT_NOFILE", 1024, 1024)), true, null, 100, null);
        Resources resources = new Resources(List.of(new Resources.DeviceRule(false, null, null, null, "rwm")),
                new Resources.Memory(64L << 20, null, 128L << 20, null, null, null, null, null, null),
                new Resources.Cpu(512L, 50000L, null, 100000L, null, null, "0", null, null),
                new Resources.Pids(100), null, List.of(new Resources.HugepageLimit("2MB", 0)), null, Map.of());
        Seccomp seccomp = new Seccomp("SCMP_ACT_ERRNO", 1, List.of("SCMP_ARCH_X86_64"), null, null, null,
                List.of(new Seccomp.Syscall(List.of("read", "write"), "SCMP_ACT_ALLOW", null, null),
                        new Seccomp.Syscall(List.of("clone"), "SCMP_ACT_ALLOW", null,
                                List.of(new Seccomp.Arg(0, 0x7E020000L, 0L, "SCMP_CMP_MASKED_EQ")))));
        Linux linux = new Linux(null, null, Map.of("net.ipv4.ip_forward", "0"), resources, null,
                List.of(Linux.Namespace.create(Linux.PID), new Linux.Namespace(Linux.NETWORK, "/run/netns/x")),
                null, seccomp, null, List.of("/proc/kcore"), List.of("/proc/sys"), null);
        return new Spec(Spec.VERSION, process, new Root("rootfs", true), null, null,
                List.of(new Mount("/proc", "proc", "proc", List.of("nosuid"))), null, Map.of("a", "b"), linux);
    }

    @Test
    void writesExactlyTheOciKeysAndLeavesNullsOut() throws Exception {
        JsonNode json = mapper.readTree(mapper.writeValueAsString(sample()));
        assertEquals("1.1.0", json.get("ociVersion").asText());
        assertFalse(json.has("hostname"), "null components are absent");
        assertFalse(json.has("hooks"));
        JsonNode user = json.at("/process/user");
        assertEquals(1000, user.get("uid").asInt());
        assertEquals(20, user.get("additionalGids").get(1).asInt());
        assertFalse(user.has("umask"));
        assertTrue(json.at("/process/noNewPrivileges").asBoolean());
        assertEquals(100, json.at("/process/oomScoreAdj").asInt());
        assertEquals("CAP_KILL", json.at("/process/capabilities/bounding/0").asText());
        assertEquals("RLIMIT_NOFILE", json.at("/process/rlimits/0/type").asText());
        assertTrue(json.at("/root/readonly").asBoolean());
        assertEquals("/proc", json.at("/mounts/0/destination").asText());
        assertEquals(64L << 20, json.at("/linux/resources/memory/limit").asLong());
        assertEquals(128L << 20, json.at("/linux/resources/memory/swap").asLong());
        assertEquals(512, json.at("/linux/resources/cpu/shares").asInt());
        assertEquals(100000, json.at("/linux/resources/cpu/period").asInt());
        assertEquals(100, json.at("/linux/resources/pids/limit").asInt());
        assertEquals("2MB", json.at("/linux/resources/hugepageLimits/0/pageSize").asText());
        assertEquals("rwm", json.at("/linux/resources/devices/0/access").asText());
        assertEquals("0", json.at("/linux/sysctl/net.ipv4.ip_forward").asText());
        assertEquals("pid", json.at("/linux/namespaces/0/type").asText());
        assertFalse(json.at("/linux/namespaces/0").has("path"), "a namespace to create has no path");
        assertEquals("/run/netns/x", json.at("/linux/namespaces/1/path").asText());
        assertEquals("SCMP_ACT_ERRNO", json.at("/linux/seccomp/defaultAction").asText());
        assertEquals(1, json.at("/linux/seccomp/defaultErrnoRet").asInt());
        assertEquals("SCMP_CMP_MASKED_EQ", json.at("/linux/seccomp/syscalls/1/args/0/op").asText());
        assertEquals(0, json.at("/linux/seccomp/syscalls/1/args/0/valueTwo").asInt());
        assertEquals("/proc/kcore", json.at("/linux/maskedPaths/0").asText());
        assertEquals("/proc/sys", json.at("/linux/readonlyPaths/0").asText());
        assertFalse(json.at("/linux").has("PID"), "constants are not components");
    }

    @Test
    void readsBackWhatItWroteAndIgnoresUnknownKeys() throws Exception {
        Spec spec = sample();
        String text = mapper.writeValueAsString(spec);
        assertEquals(spec, mapper.readValue(text, Spec.class));
        Spec withExtra = mapper.readValue("{\"ociVersion\":\"1.2.0\",\"vm\":{\"x\":1},\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"}}",
                Spec.class);
        assertEquals("/", withExtra.process().cwd());
        assertNull(withExtra.linux());
    }

    @Test
    void copiesCollectionsSoSpecsStayImmutable() {
        List<String> args = new ArrayList<>(List.of("a"));
        Process p = new Process(null, null, new Process.User(0, 0, null, null), args, null, "/", null, null, null,
                null, null, null);
        args.add("b");
        assertEquals(List.of("a"), p.args());
        assertThrows(UnsupportedOperationException.class, () -> p.args().add("c"));
        assertNull(p.env(), "null stays absent");
    }
}
