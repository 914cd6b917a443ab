package io.atrium.engine.runtime.state;

/** CRI sandbox states: READY until stopped, NOTREADY afterwards (or when it died). */
public enum PodState {
    READY, NOTREADY
}
