package io.atrium.engine.cni;

/**
 * One address a pod got.
 *
 * @param address the address without prefix, e.g. {@code 10.88.0.5} or {@code fd00::5}
 * @param prefixLength the prefix length of its subnet
 * @param gateway the gateway, or empty when none was given
 */
public record PodIp(String address, int prefixLength, String gateway) {
    public boolean isV6() {
        return address.indexOf(':') >= 0;
    }
}
