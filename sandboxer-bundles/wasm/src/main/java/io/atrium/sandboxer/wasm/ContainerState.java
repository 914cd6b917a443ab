package io.atrium.sandboxer.wasm;

import io.atrium.sandbox.api.ExitStatus;
import io.atrium.sandbox.api.TaskStatus;
import java.time.Instant;

/**
 * Lifecycle of one Wasm container.
 *
 * <pre>
 *   Created ──start──► Running ──module ends / kill / OOM──► Exited
 *      │                                                        ▲
 *      └──────────────kill before start─────────────────────────┘
 * </pre>
 * Values are immutable; {@link WasmContainer} swaps them under its lock.
 */
sealed interface ContainerState {
    Instant createdAt();

    TaskStatus status();

    default boolean canStart() {
        return this instanceof Created;
    }

    default boolean canDelete() {
        return !(this instanceof Running);
    }

    record Created(Instant createdAt) implements ContainerState {
        @Override
        public TaskStatus status() {
            return TaskStatus.CREATED;
        }
    }

    record Running(Instant createdAt, Instant startedAt) implements ContainerState {
        @Override
        public TaskStatus status() {
            return TaskStatus.RUNNING;
        }
    }

    /** {@code startedAt} is null when the container never ran. */
    record Exited(Instant createdAt, Instant startedAt, ExitStatus exit) implements ContainerState {
        @Override
        public TaskStatus status() {
            return TaskStatus.STOPPED;
        }
    }
}
