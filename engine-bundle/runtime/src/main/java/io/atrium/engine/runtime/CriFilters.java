package io.atrium.engine.runtime;

import io.atrium.cri.v1.ContainerFilter;
import io.atrium.cri.v1.ContainerStatsFilter;
import io.atrium.cri.v1.PodSandboxFilter;
import io.atrium.cri.v1.PodSandboxStatsFilter;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The list filters as kubelet and crictl use them: every field set must match. Ids match in full
 * or by prefix (crictl passes what users type); label selectors match when every pair is present
 * with that exact value.
 */
final class CriFilters {
    private CriFilters() {}

    static boolean labelsMatch(Map<String, String> selector, Map<String, String> labels) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    static boolean idMatches(String filter, String id) {
        return filter.isEmpty() || id.startsWith(filter);
    }

    static Predicate<PodSandboxRecord> pods(PodSandboxFilter f) {
        return p -> idMatches(f.getId(), p.id())
                && (!f.hasState() || CriStatuses.podState(p) == f.getState().getState())
                && labelsMatch(f.getLabelSelectorMap(), p.labels());
    }

    static Predicate<PodSandboxRecord> podStats(PodSandboxStatsFilter f) {
        return p -> idMatches(f.getId(), p.id()) && labelsMatch(f.getLabelSelectorMap(), p.labels());
    }

    static Predicate<ContainerRecord> containers(ContainerFilter f) {
        return c -> idMatches(f.getId(), c.id())
                && idMatches(f.getPodSandboxId(), c.podSandboxId())
                && (!f.hasState() || CriStatuses.containerState(c) == f.getState().getState())
                && labelsMatch(f.getLabelSelectorMap(), c.labels());
    }

    static Predicate<ContainerRecord> containerStats(ContainerStatsFilter f) {
        return c -> idMatches(f.getId(), c.id())
                && idMatches(f.getPodSandboxId(), c.podSandboxId())
                && labelsMatch(f.getLabelSelectorMap(), c.labels());
    }
}
