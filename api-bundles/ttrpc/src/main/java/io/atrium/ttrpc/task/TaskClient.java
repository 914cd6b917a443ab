package io.atrium.ttrpc.task;

import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.atrium.containerd.task.v2.CheckpointTaskRequest;
import io.atrium.containerd.task.v2.CloseIORequest;
import io.atrium.containerd.task.v2.ConnectRequest;
import io.atrium.containerd.task.v2.ConnectResponse;
import io.atrium.containerd.task.v2.CreateTaskRequest;
import io.atrium.containerd.task.v2.CreateTaskResponse;
import io.atrium.containerd.task.v2.DeleteRequest;
import io.atrium.containerd.task.v2.DeleteResponse;
import io.atrium.containerd.task.v2.ExecProcessRequest;
import io.atrium.containerd.task.v2.KillRequest;
import io.atrium.containerd.task.v2.PauseRequest;
import io.atrium.containerd.task.v2.PidsRequest;
import io.atrium.containerd.task.v2.PidsResponse;
import io.atrium.containerd.task.v2.ResizePtyRequest;
import io.atrium.containerd.task.v2.ResumeRequest;
import io.atrium.containerd.task.v2.ShutdownRequest;
import io.atrium.containerd.task.v2.StartRequest;
import io.atrium.containerd.task.v2.StartResponse;
import io.atrium.containerd.task.v2.StateRequest;
import io.atrium.containerd.task.v2.StateResponse;
import io.atrium.containerd.task.v2.StatsRequest;
import io.atrium.containerd.task.v2.StatsResponse;
import io.atrium.containerd.task.v2.UpdateTaskRequest;
import io.atrium.containerd.task.v2.WaitRequest;
import io.atrium.containerd.task.v2.WaitResponse;
import io.atrium.ttrpc.CallOptions;
import io.atrium.ttrpc.TtrpcClient;
import io.atrium.ttrpc.TtrpcException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * containerd's task v2 service ({@value #SERVICE}) over a {@link TtrpcClient}: one method per
 * rpc, named after it. Every call but {@code wait} uses the default timeout given at
 * construction; {@code wait} blocks until the process exits unless given its own timeout.
 * Failures are {@link TtrpcException}s carrying the server's gRPC code.
 */
public final class TaskClient implements Closeable {
    public static final String SERVICE = "containerd.task.v2.Task";

    private final TtrpcClient client;
    private final CallOptions defaults;
    private final CallOptions untimed;

    /** Wraps a client (closed with this one); {@code defaultTimeout} null means calls never time out. */
    public TaskClient(TtrpcClient client, Duration defaultTimeout) {
        this(client, CallOptions.timeout(defaultTimeout));
    }

    /**
     * Wraps a client with default call options, e.g. containerd's namespace metadata
     * ({@code containerd-namespace-ttrpc}); {@code wait} uses their metadata but not their timeout.
     */
    public TaskClient(TtrpcClient client, CallOptions defaults) {
        this.client = Objects.requireNonNull(client, "client");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.untimed = new CallOptions(null, defaults.metadata());
    }

    /** Connects to a task service on a Unix socket. */
    public static TaskClient connect(Path unixSocket, Duration defaultTimeout) throws IOException {
        return new TaskClient(TtrpcClient.connect(unixSocket), defaultTimeout);
    }

    public TtrpcClient ttrpc() {
        return client;
    }

    public StateResponse state(StateRequest request) {
        return call("State", request, StateResponse.parser());
    }

    public CreateTaskResponse create(CreateTaskRequest request) {
        return call("Create", request, CreateTaskResponse.parser());
    }

    public StartResponse start(StartRequest request) {
        return call("Start", request, StartResponse.parser());
    }

    public DeleteResponse delete(DeleteRequest request) {
        return call("Delete", request, DeleteResponse.parser());
    }

    public PidsResponse pids(PidsRequest request) {
        return call("Pids", request, PidsResponse.parser());
    }

    public void pause(PauseRequest request) {
        call("Pause", request, Empty.parser());
    }

    public void resume(ResumeRequest request) {
        call("Resume", request, Empty.parser());
    }

    public void checkpoint(CheckpointTaskRequest request) {
        call("Checkpoint", request, Empty.parser());
    }

    public void kill(KillRequest request) {
        call("Kill", request, Empty.parser());
    }

    public void exec(ExecProcessRequest request) {
        call("Exec", request, Empty.parser());
    }

    public void resizePty(ResizePtyRequest request) {
        call("ResizePty", request, Empty.parser());
    }

    public void closeIO(CloseIORequest request) {
        call("CloseIO", request, Empty.parser());
    }

    public void update(UpdateTaskRequest request) {
        call("Update", request, Empty.parser());
    }

    /** Blocks until the process exits (no timeout); other calls proceed meanwhile. */
    public WaitResponse wait(WaitRequest request) {
        return client.call(SERVICE, "Wait", request, WaitResponse.parser(), untimed);
    }

    /** Waits at most {@code timeout}; DEADLINE_EXCEEDED if the process is still running then. */
    public WaitResponse wait(WaitRequest request, Duration timeout) {
        return client.call(SERVICE, "Wait", request, WaitResponse.parser(),
                new CallOptions(timeout, defaults.metadata()));
    }

    /** Wait without blocking the caller: completes when the process exits or the connection ends. */
    public CompletableFuture<WaitResponse> waitAsync(WaitRequest request) {
        return client.callAsync(SERVICE, "Wait", request, WaitResponse.parser(), untimed);
    }

    public StatsResponse stats(StatsRequest request) {
        return call("Stats", request, StatsResponse.parser());
    }

    public ConnectResponse connect(ConnectRequest request) {
        return call("Connect", request, ConnectResponse.parser());
    }

    /**
     * Asks the server to exit. A server that exits at once may drop the connection before it
     * answers; that UNAVAILABLE counts as done, as containerd treats it.
     */
    public void shutdown(ShutdownRequest request) {
        try {
            call("Shutdown", request, Empty.parser());
        } catch (TtrpcException e) {
            if (e.code() != io.atrium.ttrpc.StatusCode.UNAVAILABLE) {
                throw e;
            }
        }
    }

    /** Closes the connection; pending calls fail with UNAVAILABLE. */
    @Override
    public void close() {
        client.close();
    }

    private <R extends Message> R call(String method, Message request, Parser<R> parser) {
        return client.call(SERVICE, method, request, parser, defaults);
    }
}
