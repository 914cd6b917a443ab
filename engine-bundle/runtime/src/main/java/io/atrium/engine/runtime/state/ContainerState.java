package io.atrium.engine.runtime.state;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Lifecycle of a container, each state carrying its own data.
 *
 * <pre>
 *  Created ──start──► Running ──exit/stop──► Exited ──remove──► (gone)
 *     └──────────────(exit seen before start returned)──────────┘
 * </pre>
 * Exits are applied once: the first observed exit wins, later reports change nothing.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "status")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ContainerState.Created.class, name = "created"),
    @JsonSubTypes.Type(value = ContainerState.Running.class, name = "running"),
    @JsonSubTypes.Type(value = ContainerState.Exited.class, name = "exited")})
public sealed interface ContainerState {

    default boolean canStart() {
        return this instanceof Created;
    }

    default boolean isRunning() {
        return this instanceof Running;
    }

    record Created() implements ContainerState {
    }

    record Running(long startedAtNanos, long pid) implements ContainerState {
    }

    /**
     * @param startedAtNanos 0 when it never started
     * @param exitCode the exit code, {@code io.atrium.sandbox.api.ExitStatus.UNKNOWN_CODE} when nobody saw it
     * @param reason Completed, Error, OOMKilled, Unknown...
     */
    record Exited(long startedAtNanos, long finishedAtNanos, int exitCode, String reason, String message)
            implements ContainerState {
    }
}
