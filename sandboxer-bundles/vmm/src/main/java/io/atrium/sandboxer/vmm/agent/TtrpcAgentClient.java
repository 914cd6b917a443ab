package io.atrium.sandboxer.vmm.agent;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.atrium.ttrpc.CallOptions;
import io.atrium.ttrpc.TtrpcClient;
import io.atrium.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** {@link AgentClient} on the node's ttrpc library, over the VM's agent socket (QEMU's virtio-serial chardev). */
public final class TtrpcAgentClient implements AgentClient {
    private final TtrpcClient client;

    private TtrpcAgentClient(TtrpcClient client) {
        this.client = client;
    }

    public static TtrpcAgentClient connect(Path agentSocket) throws IOException {
        try {
            return new TtrpcAgentClient(TtrpcClient.connect(agentSocket));
        } catch (IOException e) {
            throw new AgentException(AgentException.UNAVAILABLE, "cannot connect to the agent socket " + agentSocket + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public <T extends Message> T call(String method, Message request, Parser<T> response, Duration timeout)
            throws AgentException {
        try {
            return client.call(SERVICE, method, request, response,
                    timeout == null ? CallOptions.NONE : CallOptions.timeout(timeout));
        } catch (TtrpcException e) {
            throw new AgentException(e.code().value(), e.getMessage(), e);
        }
    }

    @Override
    public boolean isOpen() {
        return client.isOpen();
    }

    @Override
    public void close() {
        client.close();
    }
}
