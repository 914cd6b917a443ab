package io.atrium.sandboxer.vmm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;

/**
 * The services one sandboxer instance shares among its VMs.
 *
 * @param agents opens a ttrpc client on a VM's agent socket
 * @param waits threads that block in the agent's Wait for process exits
 */
record VmEnvironment(VmmSettings settings, VmStore store, TapNetwork network, RootfsImages images,
        Function<Path, AgentConnector> agents, ExecutorService waits, Clock clock, ObjectMapper json) {

    /** Connects to an agent socket (the ttrpc client library behind {@link io.atrium.sandboxer.vmm.agent.AgentClient}). */
    @FunctionalInterface
    interface AgentConnector {
        io.atrium.sandboxer.vmm.agent.AgentClient connect() throws java.io.IOException;
    }
}
