package io.atrium.host.node;

import io.atrium.host.config.NodeConfig.TrustMode;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Bundles dropped into deploy/ are installed by FileInstall, not by {@link BundleManager}; this
 * resolver hook keeps an untrusted one from ever resolving (so it never runs) in strict mode and
 * logs it in warn mode. The standard OSGi hook is used because FileInstall offers no veto of its own.
 */
final class DeployTrustHook implements ResolverHookFactory {

    private static final Logger LOG = Logger.getLogger(DeployTrustHook.class.getName());

    private final BundleManager bundles;
    private final TrustMode mode;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    DeployTrustHook(BundleManager bundles, TrustMode mode) {
        this.bundles = bundles;
        this.mode = mode;
    }

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new ResolverHook() {
            @Override
            public void filterResolvable(Collection<BundleRevision> candidates) {
                if (mode == TrustMode.OFF) {
                    return;
                }
                candidates.removeIf(rev -> {
                    String location = rev.getBundle().getLocation();
                    if (!location.startsWith("file:")) {
                        return false;
                    }
                    BundleTrust.Verdict v = bundles.verdict(Path.of(URI.create(location)));
                    if (v.trusted()) {
                        return false;
                    }
                    String key = location + "|" + rev.getVersion();
                    if (reported.add(key)) {
                        LOG.warning("deployed bundle " + rev.getSymbolicName() + " " + rev.getVersion() + " (" + location + "): "
                                + v.problem() + (mode == TrustMode.STRICT ? "; refused, it will not run (bundle trust is strict)"
                                        : "; running anyway (bundle trust is warn)"));
                    }
                    return mode == TrustMode.STRICT;
                });
            }

            @Override
            public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
                // no opinion
            }

            @Override
            public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
                // no opinion
            }

            @Override
            public void end() {
                // nothing held
            }
        };
    }
}
