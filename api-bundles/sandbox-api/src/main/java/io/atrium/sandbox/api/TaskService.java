package io.atrium.sandbox.api;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The containers of one sandbox, modelled on containerd's task v2 service. An {@code execId} of
 * null (or empty) addresses the container's main process.
 */
@ConsumerType
public interface TaskService {

    /** Creates a container from its OCI runtime spec; nothing runs until {@link #start}. */
    TaskInfo create(CreateTask request);

    /** Starts the container's main process or an exec'd process; returns its pid. */
    long start(String containerId, String execId);

    /** Removes a stopped container or exec and everything it held; returns how it exited. */
    ExitStatus delete(String containerId, String execId);

    /** Processes of a container. */
    List<ProcessInfo> pids(String containerId);

    void pause(String containerId);

    void resume(String containerId);

    /** Sends {@code signal} to the process, or to every process of the container when {@code all}. */
    void kill(String containerId, String execId, int signal, boolean all);

    /** Prepares an extra process in a running container; start it with {@link #start}. */
    void exec(ExecProcess request);

    /** Resizes the terminal of a process started with a TTY. */
    void resizePty(String containerId, String execId, int width, int height);

    /** Closes the process's stdin. */
    void closeIO(String containerId, String execId);

    /** Changes a running container's resources. */
    void update(String containerId, Resources resources);

    /** Completes when the process exits. */
    CompletionStage<ExitStatus> waitExit(String containerId, String execId);

    /** Resource usage of a container. */
    ContainerStats stats(String containerId);

    /** State of a container or exec. */
    TaskInfo state(String containerId, String execId);

    /** Delivers exits and OOMs as they happen, so the engine never polls. Close to unsubscribe. */
    AutoCloseable subscribe(TaskEventListener listener);

    /**
     * Closes and reopens the container's CRI log file, after the kubelet rotated it (CRI
     * ReopenContainerLog). Since 1.1.
     */
    default void reopenLog(String containerId) {
        throw new SandboxException(SandboxException.Reason.UNIMPLEMENTED,
                "this sandboxer cannot reopen container logs");
    }

    /**
     * Connects a client to a running process's streams (CRI Attach): bytes read from
     * {@code streams.stdin()} go to the process's stdin (or terminal), and a copy of its output
     * goes to {@code streams.stdout()}/{@code stderr()} while the log keeps receiving it. Closing
     * the returned handle detaches; with the container's {@code stdinOnce} it also closes the
     * process's stdin. Several clients may attach at once. Since 1.2.
     */
    default AutoCloseable attach(String containerId, String execId, Stdio streams) {
        throw new SandboxException(SandboxException.Reason.UNIMPLEMENTED,
                "this sandboxer cannot attach to a running process");
    }
}
