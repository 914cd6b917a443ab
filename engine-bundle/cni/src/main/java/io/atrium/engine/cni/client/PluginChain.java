package io.atrium.engine.cni.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a network config list's plugins as a chain: ADD in order, each plugin after the first
 * getting the previous one's result; DEL in reverse order with the ADD's result; CHECK in order.
 */
public final class PluginChain {

    private final CniPluginRunner runner;
    private final ObjectMapper json;

    public PluginChain(CniPluginRunner runner, ObjectMapper json) {
        this.runner = runner;
        this.json = json;
    }

    /** Every plugin is installed and supports the list's cniVersion (CNI VERSION); nothing is changed. */
    public void negotiate(NetworkConfigList network) throws CniPluginException {
        for (int i = 0; i < network.plugins().size(); i++) {
            String type = network.pluginType(i);
            List<String> supported = runner.supportedVersions(type, network.cniVersion());
            if (!supported.contains(network.cniVersion())) {
                throw new CniPluginException("CNI plugin '" + type + "' does not support cniVersion " + network.cniVersion()
                        + " of network '" + network.name() + "' (it supports " + String.join(", ", supported) + ")", 1);
            }
        }
    }

    /** Names the plugins of the list that are not installed; empty when all are. */
    public List<String> missingPlugins(NetworkConfigList network) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < network.plugins().size(); i++) {
            try {
                runner.find(network.pluginType(i));
            } catch (CniPluginException e) {
                missing.add(network.pluginType(i));
            }
        }
        return missing;
    }

    /**
     * ADD through the chain. On failure the exception carries the last result reached, so the
     * caller can DEL with it.
     */
    public JsonNode add(NetworkConfigList network, PluginInvocation call, ObjectNode runtimeConfig) throws ChainFailure {
        JsonNode result = null;
        for (int i = 0; i < network.plugins().size(); i++) {
            String type = network.pluginType(i);
            try {
                JsonNode out = runner.invoke(type, CniCommand.ADD, call, stdin(network, i, runtimeConfig, result));
                if (out == null) {
                    throw new CniPluginException("CNI plugin '" + type + "' ADD succeeded but printed no result", 0);
                }
                if (!out.has("cniVersion")) {
                    throw new CniPluginException("CNI plugin '" + type + "' ADD printed a result without cniVersion: " + out, 0);
                }
                result = out;
            } catch (CniPluginException e) {
                throw new ChainFailure(e, result);
            }
        }
        return result;
    }

    /**
     * DEL through the chain in reverse. Every plugin is called even when one fails, so one broken
     * plugin cannot keep the others from releasing what they hold; the first failure is thrown.
     */
    public void delete(NetworkConfigList network, PluginInvocation call, ObjectNode runtimeConfig, JsonNode prevResult)
            throws CniPluginException {
        CniPluginException first = null;
        for (int i = network.plugins().size() - 1; i >= 0; i--) {
            try {
                runner.invoke(network.pluginType(i), CniCommand.DEL, call, stdin(network, i, runtimeConfig, prevResult));
            } catch (CniPluginException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** CHECK through the chain; a no-op when the list disables it or its version predates CHECK. */
    public void check(NetworkConfigList network, PluginInvocation call, ObjectNode runtimeConfig, JsonNode prevResult)
            throws CniPluginException {
        if (network.disableCheck() || !network.supportsCheck()) {
            return;
        }
        for (int i = 0; i < network.plugins().size(); i++) {
            runner.invoke(network.pluginType(i), CniCommand.CHECK, call, stdin(network, i, runtimeConfig, prevResult));
        }
    }

    private byte[] stdin(NetworkConfigList network, int index, ObjectNode runtimeConfig, JsonNode prevResult) {
        try {
            return json.writeValueAsString(network.pluginConfig(index, runtimeConfig, prevResult)).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }

    /** An ADD that failed part-way, with the last result a plugin returned (null if none). */
    public static final class ChainFailure extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient JsonNode partialResult;

        ChainFailure(CniPluginException cause, JsonNode partialResult) {
            super(cause.getMessage(), cause);
            this.partialResult = partialResult;
        }

        public JsonNode partialResult() {
            return partialResult;
        }
    }
}
