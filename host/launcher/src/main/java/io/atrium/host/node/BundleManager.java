package io.atrium.host.node;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atrium.host.admin.AdminException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Installs, updates, rolls back and removes bundles for the admin socket.
 *
 * <p>Every jar that was ever current is kept under {@code <root>/bundle-store/<name>/}, with a
 * {@code history.json} listing them oldest first, so {@code rollback} has something to go back to.
 * An update that does not come up (unresolvable imports, failing start, or a sandboxer the old
 * version registered that the new one does not) is reverted to the previous jar before returning.
 */
public final class BundleManager {

    private static final Logger LOG = Logger.getLogger(BundleManager.class.getName());
    static final String CORE_PREFIX = "atrium:core/";
    static final String STORE_PREFIX = "atrium:store/";
    private static final String SANDBOXER_NAME = "sandboxer.name";
    private static final long SERVICE_WAIT_MS = 10_000;
    private static final long REFRESH_WAIT_MS = 60_000;

    private final BundleContext context;
    private final Path store;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Path> coreJars = new LinkedHashMap<>();
    private final BundleTrust trust;
    private final Path sandboxerStateRoot;
    private final Map<String, BundleTrust.Verdict> verdicts = new java.util.concurrent.ConcurrentHashMap<>();
    private int probes;

    BundleManager(BundleContext context, Path store, BundleTrust trust, Path sandboxerStateRoot) throws IOException {
        this.context = context;
        this.store = store;
        this.trust = trust;
        this.sandboxerStateRoot = sandboxerStateRoot;
        Files.createDirectories(store);
    }

    /** The trust verdict of a jar, cached by path, size and modification time. */
    BundleTrust.Verdict verdict(Path jar) {
        String key;
        try {
            key = jar.toAbsolutePath() + "|" + Files.size(jar) + "|" + Files.getLastModifiedTime(jar).toMillis();
        } catch (IOException e) {
            return new BundleTrust.Verdict("", "cannot read " + jar + ": " + e.getMessage());
        }
        return verdicts.computeIfAbsent(key, k -> trust.verify(jar));
    }

    /** Refuses (strict) or flags (warn) a jar whose signature is not trusted. */
    private void admit(BundleJar jar) {
        BundleTrust.Verdict v = verdict(jar.path());
        if (v.trusted()) {
            return;
        }
        String why = "bundle " + jar.symbolicName() + " " + jar.version() + " from " + jar.path() + ": " + v.problem();
        if (trust.mode() == io.atrium.host.config.NodeConfig.TrustMode.STRICT) {
            throw new AdminException("PERMISSION_DENIED", why + " (bundle trust is strict)");
        }
        LOG.warning("installing untrusted " + why + " (bundle trust is warn)");
    }

    /** Installs (or brings up to date) every bundle in the core directory, then starts them. */
    synchronized void installCore(Path dir) throws IOException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            ds.forEach(jars::add);
        }
        jars.sort(Comparator.naturalOrder());
        List<Bundle> toStart = new ArrayList<>();
        for (Path p : jars) {
            BundleJar jar;
            try {
                jar = BundleJar.read(p, false);
            } catch (AdminException e) {
                LOG.warning("skipping core jar: " + e.getMessage());
                continue;
            }
            coreJars.put(jar.symbolicName(), p);
            String location = CORE_PREFIX + jar.symbolicName();
            try {
                Bundle b = context.getBundle(location);
                boolean changes = b == null
                        || (jar.version().compareTo(b.getVersion()) > 0 && history(jar.symbolicName()).size() <= 1);
                if (changes) {
                    try {
                        admit(jar);
                    } catch (AdminException e) {
                        LOG.severe("core " + e.getMessage());
                        continue;
                    }
                }
                if (b == null) {
                    try (InputStream in = Files.newInputStream(p)) {
                        b = context.installBundle(location, in);
                    }
                } else if (jar.version().compareTo(b.getVersion()) > 0 && history(jar.symbolicName()).size() <= 1) {
                    // A newer distribution ships a newer core bundle, and the operator has not
                    // updated it by hand since: take the shipped one.
                    try (InputStream in = Files.newInputStream(p)) {
                        b.update(in);
                    }
                }
                if (!jar.fragment()) {
                    toStart.add(b);
                }
            } catch (BundleException e) {
                LOG.severe("core bundle " + p.getFileName() + " could not be installed: " + e.getMessage());
            }
        }
        for (Bundle b : toStart) {
            try {
                b.start();
            } catch (BundleException e) {
                LOG.severe("core bundle " + b.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
    }

    /** One row per bundle for {@code atrium bundle list}. */
    public synchronized List<Map<String, Object>> list() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", b.getBundleId());
            row.put("name", b.getSymbolicName());
            row.put("version", b.getVersion().toString());
            row.put("state", stateName(b.getState()));
            row.put("source", source(b));
            row.put("trust", trustOf(b));
            List<String> hist = history(b.getSymbolicName());
            row.put("rollback", hist.size() >= 2 ? versionOf(Path.of(hist.get(hist.size() - 2))) : "");
            Set<String> names = sandboxerNames(b);
            if (!names.isEmpty()) {
                row.put("sandboxers", String.join(",", names));
            }
            rows.add(row);
        }
        return rows;
    }

    private String trustOf(Bundle b) {
        if (trust.mode() == io.atrium.host.config.NodeConfig.TrustMode.OFF) {
            return "unchecked";
        }
        Path jar = null;
        List<String> hist = history(b.getSymbolicName());
        if (!hist.isEmpty()) {
            jar = Path.of(hist.get(hist.size() - 1));
        } else if (b.getLocation().startsWith(CORE_PREFIX)) {
            jar = coreJars.get(b.getSymbolicName());
        } else if (b.getLocation().startsWith("file:")) {
            jar = Path.of(java.net.URI.create(b.getLocation()));
        }
        if (jar == null || !Files.exists(jar)) {
            return "unknown";
        }
        BundleTrust.Verdict v = verdict(jar);
        return v.trusted() ? "signed" : "UNTRUSTED: " + v.problem();
    }

    public synchronized Map<String, Object> install(Path path) {
        BundleJar jar = BundleJar.read(path);
        admit(jar);
        if (find(jar.symbolicName()) != null) {
            throw new AdminException("ALREADY_EXISTS", "bundle " + jar.symbolicName() + " is already installed; use 'atrium bundle update "
                    + jar.symbolicName() + " " + path + "'");
        }
        Path kept = keep(jar);
        Bundle b;
        try (InputStream in = Files.newInputStream(kept)) {
            b = context.installBundle(STORE_PREFIX + jar.symbolicName(), in);
        } catch (BundleException | IOException e) {
            deleteQuietly(kept);
            throw AdminException.failed("bundle " + jar.symbolicName() + " was not installed: " + e.getMessage());
        }
        try {
            if (!jar.fragment()) {
                b.start();
            }
            String clash = claimedElsewhere(b);
            if (clash != null) {
                throw new BundleException(clash);
            }
        } catch (BundleException | RuntimeException e) {
            uninstallQuietly(b);
            deleteQuietly(kept);
            throw AdminException.failed("bundle " + jar.symbolicName() + " " + jar.version()
                    + " was not installed: " + e.getMessage());
        }
        saveHistory(jar.symbolicName(), List.of(kept.toString()));
        LOG.info("installed " + jar.symbolicName() + " " + jar.version());
        return describe(b);
    }

    public synchronized Map<String, Object> update(String name, Path path, boolean allowDowngrade, boolean dryRun) {
        Bundle b = require(name);
        BundleJar jar = BundleJar.read(path);
        if (!jar.symbolicName().equals(b.getSymbolicName())) {
            throw AdminException.invalid(path + " is bundle " + jar.symbolicName() + ", not " + name);
        }
        if (!allowDowngrade && jar.version().compareTo(b.getVersion()) < 0) {
            throw AdminException.failed(path + " has version " + jar.version() + ", lower than the installed "
                    + b.getVersion() + "; go back with 'atrium bundle rollback " + name + "'");
        }
        admit(jar);
        checkStateFormats(b, jar);
        checkResolves(jar);
        if (dryRun) {
            Map<String, Object> d = describe(b);
            d.put("candidate", jar.version().toString());
            d.put("result", "would update: signature, persisted-state format and wiring checks passed");
            return d;
        }
        List<String> hist = new ArrayList<>(history(name));
        if (hist.isEmpty()) {
            Path origin = originalJar(b);
            hist.add(origin.toString());
        }
        Path previous = Path.of(hist.get(hist.size() - 1));
        Path kept = keep(jar);
        String oldVersion = b.getVersion().toString();
        try {
            apply(b, kept, previous);
        } catch (AdminException e) {
            if (!kept.equals(previous) && !hist.contains(kept.toString())) {
                deleteQuietly(kept);
            }
            throw e;
        }
        hist.remove(kept.toString());
        hist.add(kept.toString());
        saveHistory(name, hist);
        LOG.info("updated " + name + " " + oldVersion + " -> " + b.getVersion());
        Map<String, Object> d = describe(b);
        d.put("previous", oldVersion);
        return d;
    }

    public synchronized Map<String, Object> rollback(String name) {
        Bundle b = require(name);
        List<String> hist = new ArrayList<>(history(name));
        if (hist.size() < 2) {
            throw AdminException.failed("no earlier version of " + name + " is kept; nothing to roll back to");
        }
        Path current = Path.of(hist.get(hist.size() - 1));
        Path previous = Path.of(hist.get(hist.size() - 2));
        String from = b.getVersion().toString();
        apply(b, previous, current);
        hist.remove(hist.size() - 1);
        saveHistory(name, hist);
        if (current.startsWith(store)) {
            deleteQuietly(current);
        }
        LOG.info("rolled back " + name + " " + from + " -> " + b.getVersion());
        Map<String, Object> d = describe(b);
        d.put("previous", from);
        return d;
    }

    public synchronized Map<String, Object> uninstall(String name) {
        Bundle b = require(name);
        Map<String, Object> d = describe(b);
        try {
            b.uninstall();
        } catch (BundleException e) {
            throw AdminException.failed("bundle " + name + " was not uninstalled: " + e.getMessage());
        }
        refresh(List.of(b));
        deleteTree(store.resolve(name));
        LOG.info("uninstalled " + name);
        d.put("state", "UNINSTALLED");
        return d;
    }

    public synchronized Map<String, Object> start(String name) {
        Bundle b = require(name);
        try {
            b.start();
        } catch (BundleException e) {
            throw AdminException.failed("bundle " + name + " did not start: " + e.getMessage());
        }
        return describe(b);
    }

    public synchronized Map<String, Object> stop(String name) {
        Bundle b = require(name);
        try {
            b.stop();
        } catch (BundleException e) {
            throw AdminException.failed("bundle " + name + " did not stop: " + e.getMessage());
        }
        return describe(b);
    }

    /**
     * The compatibility gate: the candidate must read every state format its sandboxers left on
     * disk ({@code <root>/sandboxers/<name>/FORMAT}), as declared in its Atrium-State-Formats header.
     */
    private void checkStateFormats(Bundle b, BundleJar jar) {
        if (jar.stateFormats() == null) {
            return;
        }
        for (String sandboxer : sandboxerNames(b)) {
            Path file = sandboxerStateRoot.resolve(sandboxer).resolve("FORMAT");
            if (!Files.exists(file)) {
                continue;
            }
            int onDisk;
            try {
                onDisk = Integer.parseInt(Files.readString(file).trim());
            } catch (IOException | NumberFormatException e) {
                throw AdminException.failed("cannot read the state format in " + file + ": " + e.getMessage());
            }
            if (!jar.stateFormats().contains(onDisk)) {
                throw AdminException.failed(jar.symbolicName() + " " + jar.version() + " reads state formats "
                        + jar.stateFormats() + ", but sandboxer '" + sandboxer + "' has format " + onDisk + " on disk ("
                        + file + "); nothing was changed");
            }
        }
    }

    /**
     * The wiring gate: installs the candidate beside the running version under a probe location,
     * asks the framework to resolve it against what runs now, and removes it again. Nothing is
     * started, so no component activates. Singletons cannot resolve beside their running
     * version; for them the update's own revert is the safety net.
     */
    private void checkResolves(BundleJar jar) {
        if (jar.singleton() || jar.fragment()) {
            return;
        }
        Bundle probe;
        try (InputStream in = Files.newInputStream(jar.path())) {
            probe = context.installBundle("atrium:probe/" + jar.symbolicName() + "/" + (++probes), in);
        } catch (BundleException | IOException e) {
            throw AdminException.failed(jar.symbolicName() + " " + jar.version() + " cannot be installed: " + e.getMessage()
                    + "; nothing was changed");
        }
        try {
            FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
            if (!fw.resolveBundles(List.of(probe))) {
                String reason = "its requirements are not met by the running node";
                try {
                    // Starting an unresolvable bundle fails with the resolver's explanation and does nothing else.
                    probe.start(Bundle.START_TRANSIENT);
                } catch (BundleException e) {
                    reason = e.getMessage();
                }
                throw AdminException.failed(jar.symbolicName() + " " + jar.version() + " does not resolve against the running node: "
                        + reason + "; nothing was changed");
            }
        } finally {
            uninstallQuietly(probe);
            refresh(List.of(probe));
        }
    }

    /** Switches {@code b} to {@code jar}; if it does not come up, switches back to {@code fallback}. */
    private void apply(Bundle b, Path jar, Path fallback) {
        Set<String> expected = sandboxerNames(b);
        boolean wasActive = b.getState() == Bundle.ACTIVE;
        String problem = switchTo(b, jar, expected, wasActive);
        if (problem == null) {
            return;
        }
        String revert = switchTo(b, fallback, expected, wasActive);
        throw AdminException.failed(b.getSymbolicName() + ": " + problem + "; kept " + b.getSymbolicName() + " "
                + b.getVersion() + (revert == null ? " running" : " but it did not come back either: " + revert));
    }

    /** Returns null when the bundle is up on {@code jar}, or why it is not. */
    private String switchTo(Bundle b, Path jar, Set<String> expectedSandboxers, boolean start) {
        try (InputStream in = Files.newInputStream(jar)) {
            b.update(in);
        } catch (BundleException | IOException e) {
            return "update refused: " + e.getMessage();
        }
        refresh(List.of(b));
        if (start && b.getState() != Bundle.ACTIVE && !isFragment(b)) {
            try {
                b.start();
            } catch (BundleException e) {
                return "version " + b.getVersion() + " did not start: " + e.getMessage();
            }
        }
        if (start) {
            long deadline = System.currentTimeMillis() + SERVICE_WAIT_MS;
            while (!sandboxerNames(b).containsAll(expectedSandboxers)) {
                if (System.currentTimeMillis() > deadline) {
                    Set<String> missing = new TreeSet<>(expectedSandboxers);
                    missing.removeAll(sandboxerNames(b));
                    return "version " + b.getVersion() + " did not register sandboxer " + missing + " within "
                            + SERVICE_WAIT_MS / 1000 + " s (its activation failed; see the node log)";
                }
                sleep(50);
            }
            String dead = notObtainable(b, expectedSandboxers);
            if (dead != null) {
                return "version " + b.getVersion() + " registered sandboxer '" + dead
                        + "' but it could not be activated (see the node log)";
            }
        }
        return null;
    }

    /** Declarative Services activates lazily; getting the service proves activation works. */
    private String notObtainable(Bundle b, Set<String> names) {
        ServiceReference<?>[] refs = b.getRegisteredServices();
        if (refs == null) {
            return null;
        }
        for (ServiceReference<?> r : refs) {
            if (r.getProperty(SANDBOXER_NAME) instanceof String n && names.contains(n)) {
                Object service = context.getService(r);
                if (service == null) {
                    return n;
                }
                context.ungetService(r);
            }
        }
        return null;
    }

    private static boolean isFragment(Bundle b) {
        return b.getHeaders().get(org.osgi.framework.Constants.FRAGMENT_HOST) != null;
    }

    private void refresh(List<Bundle> bundles) {
        CountDownLatch done = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED || e.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        try {
            if (!done.await(REFRESH_WAIT_MS, TimeUnit.MILLISECONDS)) {
                LOG.warning("package refresh did not finish within " + REFRESH_WAIT_MS / 1000 + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A name of a sandboxer this bundle registers that another bundle already registers, or null. */
    private String claimedElsewhere(Bundle b) {
        long deadline = System.currentTimeMillis() + 1000;
        Set<String> names = sandboxerNames(b);
        while (names.isEmpty() && System.currentTimeMillis() < deadline) {
            sleep(50);
            names = sandboxerNames(b);
        }
        for (String n : names) {
            for (ServiceReference<?> ref : sandboxerRefs("(" + SANDBOXER_NAME + "=" + n + ")")) {
                if (ref.getBundle() != null && ref.getBundle().getBundleId() != b.getBundleId()) {
                    return "sandboxer name '" + n + "' is already served by bundle " + ref.getBundle().getSymbolicName()
                            + " " + ref.getBundle().getVersion();
                }
            }
        }
        return null;
    }

    private Set<String> sandboxerNames(Bundle b) {
        Set<String> names = new TreeSet<>();
        ServiceReference<?>[] refs = b.getRegisteredServices();
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                if (r.getProperty(SANDBOXER_NAME) instanceof String s) {
                    names.add(s);
                }
            }
        }
        return names;
    }

    private List<ServiceReference<?>> sandboxerRefs(String filter) {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null, filter);
            return refs == null ? List.of() : Arrays.asList(refs);
        } catch (InvalidSyntaxException e) {
            throw AdminException.invalid("bad sandboxer name: " + e.getMessage());
        }
    }

    private Bundle find(String name) {
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName()) && b.getBundleId() != 0) {
                return b;
            }
        }
        return null;
    }

    private Bundle require(String name) {
        if (name == null || name.isBlank()) {
            throw AdminException.invalid("a bundle name is required");
        }
        Bundle b = find(name);
        if (b == null) {
            throw AdminException.notFound("no bundle named " + name + " is installed (see 'atrium bundle list')");
        }
        return b;
    }

    private Path originalJar(Bundle b) {
        String loc = b.getLocation();
        if (loc.startsWith(CORE_PREFIX) && coreJars.containsKey(b.getSymbolicName())) {
            return coreJars.get(b.getSymbolicName());
        }
        if (loc.startsWith("file:")) {
            throw AdminException.failed("bundle " + b.getSymbolicName() + " is managed by the deploy directory ("
                    + loc + "); replace the file there instead");
        }
        throw AdminException.failed("the jar bundle " + b.getSymbolicName() + " was installed from is unknown");
    }

    private static String source(Bundle b) {
        String loc = b.getLocation();
        if (loc.startsWith(CORE_PREFIX)) {
            return "core";
        }
        if (loc.startsWith(STORE_PREFIX)) {
            return "cli";
        }
        if (loc.startsWith("file:")) {
            return "deploy";
        }
        return "other";
    }

    /** Copies the jar into the store (atomically) and returns the kept copy. */
    private Path keep(BundleJar jar) {
        Path dir = store.resolve(jar.symbolicName());
        Path target = dir.resolve(jar.version() + ".jar");
        try {
            Files.createDirectories(dir);
            if (jar.path().toAbsolutePath().normalize().equals(target.toAbsolutePath().normalize())) {
                return target;
            }
            Path tmp = Files.createTempFile(dir, ".incoming-", ".jar");
            try {
                Files.copy(jar.path(), tmp, StandardCopyOption.REPLACE_EXISTING);
                fsync(tmp);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw AdminException.failed("cannot keep a copy of " + jar.path() + " in " + dir + ": " + e.getMessage());
        }
    }

    List<String> history(String name) {
        Path file = store.resolve(name).resolve("history.json");
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return json.readValue(file.toFile(), new TypeReference<List<String>>() { });
        } catch (IOException e) {
            LOG.warning("unreadable " + file + ": " + e.getMessage());
            return List.of();
        }
    }

    private void saveHistory(String name, List<String> jars) {
        Path dir = store.resolve(name);
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".history-", ".json");
            Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(jars));
            fsync(tmp);
            Files.move(tmp, dir.resolve("history.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw AdminException.failed("cannot record bundle history in " + dir + ": " + e.getMessage());
        }
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static String versionOf(Path jar) {
        try {
            return BundleJar.read(jar).version().toString();
        } catch (AdminException e) {
            return "?";
        }
    }

    private Map<String, Object> describe(Bundle b) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", b.getBundleId());
        d.put("name", b.getSymbolicName());
        d.put("version", b.getVersion().toString());
        d.put("state", stateName(b.getState()));
        return d;
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> String.valueOf(state);
        };
    }

    private static void uninstallQuietly(Bundle b) {
        try {
            b.uninstall();
        } catch (BundleException | IllegalStateException e) {
            LOG.warning("cleanup: uninstall of " + b.getSymbolicName() + " failed: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warning("cleanup: " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(BundleManager::deleteQuietly);
        } catch (IOException e) {
            LOG.warning("cleanup: " + e.getMessage());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
