package io.atrium.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.cri.v1.ContainerFilter;
import io.atrium.cri.v1.ContainerState;
import io.atrium.cri.v1.ContainerStateValue;
import io.atrium.cri.v1.PodSandboxFilter;
import io.atrium.cri.v1.PodSandboxState;
import io.atrium.cri.v1.PodSandboxStateValue;
import io.atrium.engine.runtime.state.ContainerRecord;
import io.atrium.engine.runtime.state.PodSandboxRecord;
import io.atrium.engine.runtime.state.PodState;
import io.atrium.sandbox.api.SandboxException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandlerAndFilterTest {
    @Test
    void handlersMapToSandboxersAndUnknownOnesNameTheKnown() {
        HandlerTable t = HandlerTable.parse("runc=runc,fast=gvisor", "runc");
        assertEquals("runc", t.sandboxerFor(""));
        assertEquals("gvisor", t.sandboxerFor("fast"));
        SandboxException e = assertThrows(SandboxException.class, () -> t.sandboxerFor("kata"));
        assertEquals(SandboxException.Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage().contains("fast, runc"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HandlerTable.parse("broken", "runc"));
        assertEquals(Map.of("runc", "runc"), HandlerTable.parse(null, null).handlers());
    }

    private static PodSandboxRecord pod(String id, PodState state, Map<String, String> labels) {
        return new PodSandboxRecord(id, "n", "ns", "u", 0, "runc", "runc", state, 0, 0, "", "", false, false, false,
                null, labels, Map.of(), "", null);
    }

    @Test
    void podFiltersMatchIdPrefixStateAndEveryLabel() {
        PodSandboxRecord p = pod("abcdef", PodState.READY, Map.of("app", "web", "tier", "front"));
        assertTrue(CriFilters.pods(PodSandboxFilter.getDefaultInstance()).test(p));
        assertTrue(CriFilters.pods(PodSandboxFilter.newBuilder().setId("abc").build()).test(p));
        assertFalse(CriFilters.pods(PodSandboxFilter.newBuilder().setId("abd").build()).test(p));
        assertTrue(CriFilters.pods(PodSandboxFilter.newBuilder().putLabelSelector("app", "web").build()).test(p));
        assertFalse(CriFilters.pods(PodSandboxFilter.newBuilder().putLabelSelector("app", "web")
                .putLabelSelector("tier", "back").build()).test(p));
        assertFalse(CriFilters.pods(PodSandboxFilter.newBuilder().setState(PodSandboxStateValue.newBuilder()
                .setState(PodSandboxState.SANDBOX_NOTREADY)).build()).test(p));
    }

    @Test
    void containerFiltersMatchPodAndState() {
        ContainerRecord c = new ContainerRecord("c1", "pod1", "n", 0, "i", "i", "i", Map.of("k", "v"), Map.of(), "", "",
                false, List.of(), 15, "{}", ContainerRecord.ResourcesRecord.NONE,
                new ContainerRecord.UserRecord(0, 0, List.of()), 0, new io.atrium.engine.runtime.state.ContainerState.Running(1, 2));
        assertTrue(CriFilters.containers(ContainerFilter.newBuilder().setPodSandboxId("pod1").build()).test(c));
        assertFalse(CriFilters.containers(ContainerFilter.newBuilder().setPodSandboxId("pod2").build()).test(c));
        assertTrue(CriFilters.containers(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder()
                .setState(ContainerState.CONTAINER_RUNNING)).build()).test(c));
        assertFalse(CriFilters.containers(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder()
                .setState(ContainerState.CONTAINER_EXITED)).build()).test(c));
        assertFalse(CriFilters.containers(ContainerFilter.newBuilder().putLabelSelector("k", "w").build()).test(c));
    }
}
