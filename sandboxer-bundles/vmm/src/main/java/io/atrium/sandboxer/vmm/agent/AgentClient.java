package io.atrium.sandboxer.vmm.agent;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.time.Duration;

/**
 * A ttrpc connection to the guest agent's {@code containerd.task.v2.Task} service. Calls may come
 * from many threads at once and are multiplexed over the one virtio-serial port (Wait blocks in the
 * guest while other calls go on).
 */
public interface AgentClient extends AutoCloseable {
    String SERVICE = "containerd.task.v2.Task";

    /** Calls {@code method} and parses its response; {@code timeout} null means no deadline. */
    <T extends Message> T call(String method, Message request, Parser<T> response, Duration timeout) throws AgentException;

    /** Whether the connection is still usable. */
    boolean isOpen();

    @Override
    void close();
}
