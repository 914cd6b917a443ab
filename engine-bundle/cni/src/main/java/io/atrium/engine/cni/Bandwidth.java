package io.atrium.engine.cni;

/**
 * Traffic shaping for a pod, in bits per second and bits, as the {@code bandwidth} plugin reads
 * them; 0 leaves that direction unshaped.
 */
public record Bandwidth(long ingressRate, long ingressBurst, long egressRate, long egressBurst) {
    public Bandwidth {
        if (ingressRate < 0 || ingressBurst < 0 || egressRate < 0 || egressBurst < 0) {
            throw new IllegalArgumentException("bandwidth values must not be negative");
        }
    }
}
