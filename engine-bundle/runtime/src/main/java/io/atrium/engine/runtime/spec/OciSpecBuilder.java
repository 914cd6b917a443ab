package io.atrium.engine.runtime.spec;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.atrium.cri.v1.ContainerConfig;
import io.atrium.cri.v1.KeyValue;
import io.atrium.cri.v1.LinuxContainerResources;
import io.atrium.cri.v1.LinuxContainerSecurityContext;
import io.atrium.cri.v1.NamespaceMode;
import io.atrium.cri.v1.NamespaceOption;
import io.atrium.oci.spec.Linux;
import io.atrium.oci.spec.Mount;
import io.atrium.oci.spec.Process;
import io.atrium.oci.spec.Resources;
import io.atrium.oci.spec.Root;
import io.atrium.oci.spec.Seccomp;
import io.atrium.oci.spec.Spec;
import io.atrium.sandbox.api.SandboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a CRI ContainerConfig plus the image's config into the OCI runtime spec, once, in the
 * engine, so every sandboxer receives the same thing. The sandboxer completes it with what only it
 * knows: the pod's namespace paths (network, IPC and UTS are listed here without a path), the
 * per-pod files (/etc/hosts, /etc/resolv.conf, /etc/hostname, /dev/shm), the root path and the
 * cgroup path under the pod's cgroup.
 */
public final class OciSpecBuilder {
    /** Directory of Localhost seccomp profiles given by relative name. */
    private final Path seccompRoot;
    private final OomScoreAdj oom;
    private final ObjectMapper profileReader = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

    public OciSpecBuilder(Path seccompRoot, OomScoreAdj oom) {
        this.seccompRoot = seccompRoot;
        this.oom = oom;
    }

    public Spec build(ContainerSpecInput in) {
        ContainerConfig c = in.config();
        LinuxContainerSecurityContext sc = c.getLinux().getSecurityContext();
        boolean privileged = sc.getPrivileged();
        if (privileged && !in.pod().getLinux().getSecurityContext().getPrivileged()) {
            throw SandboxException.invalid("container " + c.getMetadata().getName()
                    + " asks to be privileged in a pod that is not privileged");
        }
        List<String> caps = privileged ? LinuxCapabilities.ALL
                : LinuxCapabilities.apply(sc.getCapabilities().getAddCapabilitiesList(),
                        sc.getCapabilities().getDropCapabilitiesList());
        List<String> ambient = sc.getCapabilities().getAddAmbientCapabilitiesList().stream()
                .map(LinuxCapabilities::normalise).filter(caps::contains).toList();
        Process process = new Process(c.getTty(), null,
                new Process.User(in.uid(), in.gid(), null, in.additionalGids()),
                args(c, in.image().entrypoint(), in.image().cmd()), env(c, in),
                workingDir(c, in.image().workingDir()),
                new Process.Capabilities(caps, caps, List.of(), caps, ambient),
                null, sc.getNoNewPrivs(), null, oom.clamp(c.getLinux().getResources().getOomScoreAdj()), null);
        Linux linux = new Linux(null, null, sysctls(in), resources(c.getLinux().getResources(), privileged), null,
                namespaces(in), null, seccomp(sc, privileged, caps), null,
                privileged ? null : (sc.getMaskedPathsCount() > 0 ? sc.getMaskedPathsList() : OciDefaults.MASKED_PATHS),
                privileged ? null : (sc.getReadonlyPathsCount() > 0 ? sc.getReadonlyPathsList() : OciDefaults.READONLY_PATHS),
                null);
        return new Spec(Spec.VERSION, process, new Root("rootfs", sc.getReadonlyRootfs()), null, null,
                mounts(c, privileged), null, annotations(in), linux);
    }

    /**
     * The kubelet rules: command replaces the image entrypoint (and drops its cmd); args alone
     * replace the image cmd; neither means entrypoint + cmd.
     */
    static List<String> args(ContainerConfig c, List<String> entrypoint, List<String> cmd) {
        List<String> out = new ArrayList<>();
        if (c.getCommandCount() > 0) {
            out.addAll(c.getCommandList());
            out.addAll(c.getArgsList());
        } else if (c.getArgsCount() > 0) {
            out.addAll(entrypoint);
            out.addAll(c.getArgsList());
        } else {
            out.addAll(entrypoint);
            out.addAll(cmd);
        }
        if (out.isEmpty()) {
            throw SandboxException.invalid("container " + c.getMetadata().getName()
                    + " has no command: neither the config nor the image gives one");
        }
        return out;
    }

    /** Image env, then HOSTNAME, then the config's envs; a later key replaces an earlier one in place. */
    static List<String> env(ContainerConfig c, ContainerSpecInput in) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : in.image().env()) {
            int eq = e.indexOf('=');
            env.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
        }
        env.putIfAbsent("PATH", OciDefaults.PATH_ENV.substring(5));
        if (!in.pod().getHostname().isEmpty()) {
            env.put("HOSTNAME", in.pod().getHostname());
        }
        for (KeyValue kv : c.getEnvsList()) {
            env.put(kv.getKey(), kv.getValue().toStringUtf8());
        }
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    static String workingDir(ContainerConfig c, String imageDir) {
        String dir = !c.getWorkingDir().isEmpty() ? c.getWorkingDir() : imageDir;
        if (dir.isEmpty()) {
            return "/";
        }
        if (!dir.startsWith("/")) {
            throw SandboxException.invalid("working directory must be absolute: " + dir);
        }
        return dir;
    }

    private static Map<String, String> sysctls(ContainerSpecInput in) {
        Map<String, String> s = in.pod().getLinux().getSysctlsMap();
        return s.isEmpty() ? null : new LinkedHashMap<>(s);
    }

    /** The container's Linux resources; also what UpdateContainerResources sends. */
    public static Resources resources(LinuxContainerResources r, boolean privileged) {
        Resources.Cpu cpu = null;
        if (r.getCpuShares() > 0 || r.getCpuQuota() != 0 || r.getCpuPeriod() > 0 || !r.getCpusetCpus().isEmpty()
                || !r.getCpusetMems().isEmpty()) {
            cpu = new Resources.Cpu(positive(r.getCpuShares()), r.getCpuQuota() == 0 ? null : r.getCpuQuota(), null,
                    positive(r.getCpuPeriod()), null, null, blankToNull(r.getCpusetCpus()),
                    blankToNull(r.getCpusetMems()), null);
        }
        Resources.Memory memory = null;
        if (r.getMemoryLimitInBytes() > 0 || r.getMemorySwapLimitInBytes() != 0) {
            memory = new Resources.Memory(positive(r.getMemoryLimitInBytes()), null,
                    r.getMemorySwapLimitInBytes() == 0 ? null : r.getMemorySwapLimitInBytes(), null, null, null, null,
                    null, null);
        }
        List<Resources.HugepageLimit> huge = r.getHugepageLimitsList().stream()
                .map(h -> new Resources.HugepageLimit(h.getPageSize(), h.getLimit())).toList();
        List<Resources.DeviceRule> devices = List.of(new Resources.DeviceRule(privileged, null, null, null, "rwm"));
        return new Resources(devices, memory, cpu, null, null, huge.isEmpty() ? null : huge, null,
                r.getUnifiedCount() == 0 ? null : new LinkedHashMap<>(r.getUnifiedMap()));
    }

    /**
     * New pid and mount namespaces of its own unless told otherwise; network, IPC and UTS are
     * the pod's (listed without a path: the sandboxer fills in the pinned ones), left out when the
     * pod uses the node's.
     */
    static List<Linux.Namespace> namespaces(ContainerSpecInput in) {
        NamespaceOption pod = in.pod().getLinux().getSecurityContext().getNamespaceOptions();
        NamespaceOption own = in.config().getLinux().getSecurityContext().getNamespaceOptions();
        List<Linux.Namespace> ns = new ArrayList<>();
        ns.add(Linux.Namespace.create(Linux.MOUNT));
        NamespaceMode pid = own.getPid();
        if (pid == NamespaceMode.TARGET) {
            if (in.targetPid() <= 0) {
                throw new SandboxException(SandboxException.Reason.FAILED_PRECONDITION,
                        "pid namespace target container " + own.getTargetId() + " is not running");
            }
            ns.add(new Linux.Namespace(Linux.PID, "/proc/" + in.targetPid() + "/ns/pid"));
        } else if (pid != NamespaceMode.NODE && pod.getPid() != NamespaceMode.NODE) {
            ns.add(Linux.Namespace.create(Linux.PID));
        }
        if (pod.getNetwork() != NamespaceMode.NODE) {
            ns.add(Linux.Namespace.create(Linux.NETWORK));
        }
        if (pod.getIpc() != NamespaceMode.NODE) {
            ns.add(Linux.Namespace.create(Linux.IPC));
        }
        if (pod.getNetwork() != NamespaceMode.NODE) {
            ns.add(Linux.Namespace.create(Linux.UTS)); // host-network pods keep the node's name, as kubelet expects
        }
        return ns;
    }

    /**
     * RuntimeDefault unless told otherwise (also when kubelet says nothing: secure by default),
     * none for privileged containers, which may already do everything the filter would stop.
     */
    private Seccomp seccomp(LinuxContainerSecurityContext sc, boolean privileged, List<String> caps) {
        if (!sc.hasSeccomp()) {
            String legacy = sc.getSeccompProfilePath(); // deprecated: runtime/default, unconfined, localhost/<path>
            if (legacy.equals("unconfined")) {
                return null;
            }
            if (legacy.startsWith("localhost/")) {
                return localhostProfile(legacy.substring("localhost/".length()));
            }
            return privileged ? null : RuntimeDefaultSeccomp.profile(caps);
        }
        return switch (sc.getSeccomp().getProfileType()) {
            case Unconfined -> null;
            case Localhost -> localhostProfile(sc.getSeccomp().getLocalhostRef());
            default -> privileged ? null : RuntimeDefaultSeccomp.profile(caps);
        };
    }

    private Seccomp localhostProfile(String ref) {
        if (ref == null || ref.isEmpty()) {
            throw SandboxException.invalid("a Localhost seccomp profile needs a localhost_ref");
        }
        Path file = ref.startsWith("/") ? Path.of(ref) : seccompRoot.resolve(ref).normalize();
        if (!ref.startsWith("/") && !file.startsWith(seccompRoot)) {
            throw SandboxException.invalid("seccomp profile " + ref + " leaves " + seccompRoot);
        }
        try {
            return profileReader.readValue(Files.readString(file, StandardCharsets.UTF_8), Seccomp.class);
        } catch (java.nio.file.NoSuchFileException e) {
            throw SandboxException.invalid("seccomp profile " + file + " does not exist");
        } catch (IOException e) {
            throw SandboxException.invalid("seccomp profile " + file + " is not a valid profile: " + e.getMessage());
        }
    }

    /** Defaults first, minus any destination a CRI mount replaces, then the CRI mounts in order. */
    static List<Mount> mounts(ContainerConfig c, boolean privileged) {
        List<String> replaced = c.getMountsList().stream().map(m -> clean(m.getContainerPath())).toList();
        List<Mount> out = new ArrayList<>();
        for (Mount d : OciDefaults.mounts(privileged)) {
            if (!replaced.contains(d.destination())) {
                out.add(d);
            }
        }
        for (io.atrium.cri.v1.Mount m : c.getMountsList()) {
            List<String> options = new ArrayList<>(List.of("rbind"));
            options.add(switch (m.getPropagation()) {
                case PROPAGATION_HOST_TO_CONTAINER -> "rslave";
                case PROPAGATION_BIDIRECTIONAL -> "rshared";
                default -> "rprivate";
            });
            options.add(m.getReadonly() ? "ro" : "rw");
            out.add(new Mount(clean(m.getContainerPath()), "bind", m.getHostPath(), options));
        }
        return out;
    }

    private static String clean(String p) {
        String s = Path.of(p).normalize().toString();
        return s.isEmpty() ? "/" : s;
    }

    /** The CRI's own annotations plus the ones containerd-compatible tooling looks for. */
    private static Map<String, String> annotations(ContainerSpecInput in) {
        Map<String, String> a = new LinkedHashMap<>(in.config().getAnnotationsMap());
        a.put("io.kubernetes.cri.container-type", "container");
        a.put("io.kubernetes.cri.container-name", in.config().getMetadata().getName());
        a.put("io.kubernetes.cri.sandbox-id", in.podSandboxId());
        a.put("io.kubernetes.cri.sandbox-name", in.pod().getMetadata().getName());
        a.put("io.kubernetes.cri.sandbox-namespace", in.pod().getMetadata().getNamespace());
        a.put("io.kubernetes.cri.sandbox-uid", in.pod().getMetadata().getUid());
        a.put("io.kubernetes.cri.image-name", in.imageName());
        return a;
    }

    private static Long positive(long v) {
        return v > 0 ? v : null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
