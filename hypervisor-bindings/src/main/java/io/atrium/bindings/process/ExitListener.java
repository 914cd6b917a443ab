package io.atrium.bindings.process;

/** Receives exit events on the reaper thread; must return quickly and not block. */
@FunctionalInterface
public interface ExitListener {
    void exited(ExitEvent event);
}
