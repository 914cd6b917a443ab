package io.atrium.engine.runtime.events;

/** A container changed: what kubelet's GetContainerEvents stream reports. */
public record ContainerEvent(String containerId, String podSandboxId, Type type, long atNanos) {
    public enum Type { CREATED, STARTED, STOPPED, DELETED }
}
