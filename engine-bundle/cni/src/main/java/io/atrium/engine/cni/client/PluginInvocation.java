package io.atrium.engine.cni.client;

/**
 * The CNI_* parameters of one plugin call (everything but the config on stdin).
 *
 * @param containerId CNI_CONTAINERID
 * @param netns CNI_NETNS, empty when the namespace is gone (allowed for DEL)
 * @param ifName CNI_IFNAME
 * @param cniArgs CNI_ARGS, {@code KEY=VALUE} pairs joined by {@code ;}
 */
public record PluginInvocation(String containerId, String netns, String ifName, String cniArgs) {
}
