package io.atrium.sandboxer.vmm;

/**
 * The pod's network as the guest sees it: the CNI interface's MAC and address move into the VM.
 *
 * @param mac MAC address of the CNI {@code eth0}, given to the guest NIC
 * @param cidr address/prefix of {@code eth0}, e.g. {@code 10.88.0.5/16}
 * @param gateway default gateway, or empty when the pod has none
 * @param mtu MTU of {@code eth0}
 */
public record GuestNetwork(String mac, String cidr, String gateway, int mtu) {
}
