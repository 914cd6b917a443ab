package io.atrium.sandbox.api;

/** Lifecycle of a task, as containerd's task API names it. */
public enum TaskStatus {
    UNKNOWN, CREATED, RUNNING, STOPPED, PAUSED, PAUSING
}
