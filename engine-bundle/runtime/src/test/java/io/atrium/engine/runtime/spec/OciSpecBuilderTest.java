package io.atrium.engine.runtime.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.atrium.cri.v1.Capability;
import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.ContainerMetadata;
import io.atrium.cri.v1.KeyValue;
import io.atrium.cri.v1.LinuxContainerConfig;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.LinuxContainerSecurityContext;
import io.atrium.cri.v1.LinuxPodSandboxConfig;
import io.atrium.cri.v1.LinuxSandboxSecurityContext;
import io.atrium.cri.v1.Mount;
import io.atrium.cri.v1.MountPropagation;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.cri.v1.PodSandboxConfig;
import io.atrium.cri.v1.PodSandboxMetadata;
import io.atrium.cri.v1.SecurityProfile;
import io.atrium.image.api.ImageConfig;
import io.atrium.oci.spec.Linux;
import io.atrium.oci.spec.Spec;
import io.atrium.sandbox.api.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciSpecBuilderTest {
    @TempDir
    Path seccompDir;

    private static final ImageConfig IMAGE = new ImageConfig("linux", "amd64", "", "", List.of("PATH=/bin", "A=image"),
            List.of("/entry"), List.of("default-arg"), "/work", Set.of(), Set.of(), Map.of(), "SIGQUIT");

    private static final PodSandboxConfig POD = PodSandboxConfig.newBuilder()
            .setMetadata(PodSandboxMetadata.newBuilder().setName("p").setNamespace("n").setUid("u"))
            .setHostname("pod-host").setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("net.ipv4.ip_forward", "1"))
            .build();

    private Spec build(ContainerConfig c, PodSandboxConfig pod, int oomFloor) {
        return new OciSpecBuilder(seccompDir, new OomScoreAdj(oomFloor)).build(
                new ContainerSpecInput("cid", "pid", c, pod, IMAGE, "busybox", 1000, 1000, List.of(50L), 0));
    }

    private static ContainerConfig.Builder config() {
        return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("c"));
    }

    @Test
    void commandAndArgsFollowKubeletRules() {
        assertEquals(List.of("/entry", "default-arg"), build(config().build(), POD, 0).process().args());
        assertEquals(List.of("/entry", "x"), build(config().addArgs("x").build(), POD, 0).process().args());
        assertEquals(List.of("sh", "y"), build(config().addCommand("sh").addArgs("y").build(), POD, 0).process().args());
        assertEquals(List.of("sh"), build(config().addCommand("sh").build(), POD, 0).process().args(),
                "a command drops the image cmd");
        ImageConfig none = new ImageConfig("linux", "amd64", "", "", List.of(), List.of(), List.of(), "", Set.of(),
                Set.of(), Map.of(), "");
        SandboxException e = assertThrows(SandboxException.class, () -> new OciSpecBuilder(seccompDir, new OomScoreAdj(0))
                .build(new ContainerSpecInput("cid", "pid", config().build(), POD, none, "i", 0, 0, List.of(), 0)));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, e.reason());
    }

    @Test
    void envMergesImageHostnameAndConfigInOrder() {
        Spec s = build(config().addEnvs(KeyValue.newBuilder().setKey("A").setValue(ByteString.copyFromUtf8("cfg")))
                .addEnvs(KeyValue.newBuilder().setKey("B").setValue(ByteString.copyFromUtf8("b"))).build(), POD, 0);
        assertEquals(List.of("PATH=/bin", "A=cfg", "HOSTNAME=pod-host", "B=b"), s.process().env());
        assertEquals("/work", s.process().cwd());
        assertEquals(1000, s.process().user().uid());
        assertEquals(List.of(50L), s.process().user().additionalGids());
    }

    @Test
    void unprivilegedDefaultsAreTight() {
        Spec s = build(config().build(), POD, 0);
        assertTrue(s.process().capabilities().bounding().contains("CAP_CHOWN"));
        assertFalse(s.process().capabilities().bounding().contains("CAP_SYS_ADMIN"));
        assertEquals(List.of(), s.process().capabilities().inheritable());
        assertEquals("SCMP_ACT_ERRNO", s.linux().seccomp().defaultAction());
        assertTrue(s.linux().maskedPaths().contains("/proc/kcore"));
        assertTrue(s.linux().readonlyPaths().contains("/proc/sys"));
        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup"),
                s.mounts().stream().map(io.atrium.oci.spec.Mount::destination).toList());
        assertTrue(s.mounts().get(4).options().contains("ro"), "sysfs read-only");
        assertEquals("1", s.linux().sysctl().get("net.ipv4.ip_forward"));
        assertFalse(s.linux().resources().devices().get(0).allow(), "devices denied by default");
        assertEquals("cid".length(), 3);
        assertEquals("pid", s.annotations().get("io.kubernetes.cri.sandbox-id"));
    }

    @Test
    void namespacesAreListedWithoutPathsAndHostModesLeaveThemOut() {
        List<Linux.Namespace> ns = build(config().build(), POD, 0).linux().namespaces();
        assertEquals(List.of("mount", "pid", "network", "ipc", "uts"), ns.stream().map(Linux.Namespace::type).toList());
        assertTrue(ns.stream().allMatch(n -> n.path() == null));
        PodSandboxConfig host = POD.toBuilder().setLinux(POD.getLinux().toBuilder().setSecurityContext(
                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setNetwork(NamespaceMode.NODE).setIpc(NamespaceMode.NODE).setPid(NamespaceMode.NODE)))).build();
        assertEquals(List.of("mount"), build(config().build(), host, 0).linux().namespaces().stream()
                .map(Linux.Namespace::type).toList());
    }

    @Test
    void privilegedGetsEverythingAndNeedsAPrivilegedPod() {
        ContainerConfig priv = config().setLinux(LinuxContainerConfig.newBuilder()
                .setSecurityContext(LinuxContainerSecurityContext.newBuilder().setPrivileged(true))).build();
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT,
                assertThrows(SandboxException.class, () -> build(priv, POD, 0)).reason());
        PodSandboxConfig privPod = POD.toBuilder().setLinux(POD.getLinux().toBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setPrivileged(true))).build();
        Spec s = build(priv, privPod, 0);
        assertTrue(s.process().capabilities().bounding().contains("CAP_SYS_ADMIN"));
        assertNull(s.linux().seccomp());
        assertNull(s.linux().maskedPaths());
        assertNull(s.linux().readonlyPaths());
        assertTrue(s.mounts().get(4).options().contains("rw"));
    }

    @Test
    void capabilitiesAddDropAndAllAndSeccompFollowsThem() {
        Spec s = build(config().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                LinuxContainerSecurityContext.newBuilder().setCapabilities(Capability.newBuilder()
                        .addAddCapabilities("SYS_ADMIN").addDropCapabilities("CAP_CHOWN")))).build(), POD, 0);
        assertTrue(s.process().capabilities().effective().contains("CAP_SYS_ADMIN"));
        assertFalse(s.process().capabilities().effective().contains("CAP_CHOWN"));
        assertTrue(s.linux().seccomp().syscalls().get(0).names().contains("mount"), "CAP_SYS_ADMIN unlocks mount");
        assertEquals(List.of("CAP_KILL"), LinuxCapabilities.apply(List.of("KILL"), List.of("ALL")));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT,
                assertThrows(SandboxException.class, () -> LinuxCapabilities.normalise("CAP_NOPE")).reason());
        Spec plain = build(config().build(), POD, 0);
        assertFalse(plain.linux().seccomp().syscalls().get(0).names().contains("mount"));
        assertEquals("SCMP_CMP_MASKED_EQ", plain.linux().seccomp().syscalls().get(1).args().get(0).op());
    }

    @Test
    void seccompUnconfinedAndLocalhostProfiles() throws Exception {
        ContainerConfig unconfined = config().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                LinuxContainerSecurityContext.newBuilder().setSeccomp(SecurityProfile.newBuilder()
                        .setProfileType(SecurityProfile.ProfileType.Unconfined)))).build();
        assertNull(build(unconfined, POD, 0).linux().seccomp());
        Files.writeString(seccompDir.resolve("mine.json"), "{\"defaultAction\":\"SCMP_ACT_LOG\",\"extra\":1}");
        ContainerConfig local = config().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                LinuxContainerSecurityContext.newBuilder().setSeccomp(SecurityProfile.newBuilder()
                        .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("mine.json")))).build();
        assertEquals("SCMP_ACT_LOG", build(local, POD, 0).linux().seccomp().defaultAction());
        ContainerConfig escape = config().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                LinuxContainerSecurityContext.newBuilder().setSeccomp(SecurityProfile.newBuilder()
                        .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("../../etc/x")))).build();
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT,
                assertThrows(SandboxException.class, () -> build(escape, POD, 0)).reason());
    }

    @Test
    void resourcesMountsAndOomClamp() {
        Spec s = build(config().addMounts(Mount.newBuilder().setContainerPath("/sys").setHostPath("/h")
                        .setReadonly(true).setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER))
                .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                        .setCpuShares(512).setCpuQuota(20000).setCpuPeriod(100000).setMemoryLimitInBytes(1 << 26)
                        .setCpusetCpus("0").setOomScoreAdj(-500))).build(), POD, 0);
        assertEquals(512L, s.linux().resources().cpu().shares());
        assertEquals(20000L, s.linux().resources().cpu().quota());
        assertEquals("0", s.linux().resources().cpu().cpus());
        assertEquals(1L << 26, s.linux().resources().memory().limit());
        assertEquals(0, s.process().oomScoreAdj(), "clamped to the node's own value");
        assertEquals(List.of("rbind", "rslave", "ro"), s.mounts().get(s.mounts().size() - 1).options());
        assertEquals(1, s.mounts().stream().filter(m -> m.destination().equals("/sys")).count(), "CRI mount replaces the default");
        assertEquals(900, new OomScoreAdj(900).clamp(100));
        assertEquals(1000, new OomScoreAdj(0).clamp(5000));
    }

    @Test
    void signalsParseNamesNumbersAndRealtime() {
        assertEquals(15, Signals.parse("SIGTERM"));
        assertEquals(3, Signals.parse("quit"));
        assertEquals(9, Signals.parse("9"));
        assertEquals(37, Signals.parse("SIGRTMIN+3"));
        assertEquals(37, Signals.parse("SIGRTMINPLUS3"));
        assertEquals(62, Signals.parse("SIGRTMAXMINUS2"));
        assertThrows(SandboxException.class, () -> Signals.parse("SIGNOPE"));
    }
}
