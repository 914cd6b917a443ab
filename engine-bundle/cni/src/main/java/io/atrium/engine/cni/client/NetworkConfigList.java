package io.atrium.engine.cni.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A CNI network configuration list: a named network and the chain of plugins that builds it.
 * A single-plugin {@code .conf} file is read as a list of one, as kubelet runtimes do.
 *
 * @param name the network name
 * @param cniVersion the spec version every plugin of the chain is called with
 * @param disableCheck whether CHECK must not be called
 * @param plugins each plugin's own config object, in chain order
 * @param source the whole document as read (kept with each attachment so DEL uses the config ADD used)
 */
public record NetworkConfigList(String name, String cniVersion, boolean disableCheck, List<ObjectNode> plugins,
        ObjectNode source) {

    /** Spec versions whose result format (0.3.0 and later) this client understands. */
    public static final List<String> SUPPORTED_VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0");

    private static final Pattern NETWORK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
    private static final Pattern PLUGIN_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

    public NetworkConfigList {
        plugins = List.copyOf(plugins);
    }

    /** Reads a {@code .conflist} (a list) or a {@code .conf}/{@code .json} (one plugin). */
    public static NetworkConfigList parse(String fileName, byte[] content, ObjectMapper json) throws InvalidNetworkConfigException {
        JsonNode root;
        try {
            root = json.readTree(content);
        } catch (JsonProcessingException e) {
            throw new InvalidNetworkConfigException("not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidNetworkConfigException("cannot read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidNetworkConfigException("not a JSON object");
        }
        ObjectNode doc = (ObjectNode) root;
        if (fileName.endsWith(".conflist")) {
            return fromList(doc);
        }
        if (doc.has("plugins")) {
            throw new InvalidNetworkConfigException("has a 'plugins' list, so it must be named *.conflist");
        }
        ObjectNode list = json.createObjectNode();
        list.set("cniVersion", doc.get("cniVersion"));
        list.set("name", doc.get("name"));
        list.putArray("plugins").add(doc.deepCopy());
        return fromList(list);
    }

    /** Reads a list document, such as one kept in the attachment journal. */
    public static NetworkConfigList fromList(ObjectNode doc) throws InvalidNetworkConfigException {
        String name = text(doc, "name");
        if (name == null || name.isEmpty()) {
            throw new InvalidNetworkConfigException("no network 'name'");
        }
        if (!NETWORK_NAME.matcher(name).matches()) {
            throw new InvalidNetworkConfigException("network name '" + name + "' must be letters, digits, '_', '.' or '-'");
        }
        String version = text(doc, "cniVersion");
        if (version == null) {
            throw new InvalidNetworkConfigException("no 'cniVersion'");
        }
        if (!SUPPORTED_VERSIONS.contains(version)) {
            throw new InvalidNetworkConfigException("cniVersion '" + version + "' is not supported (supported: "
                    + String.join(", ", SUPPORTED_VERSIONS) + ")");
        }
        JsonNode disable = doc.get("disableCheck");
        if (disable != null && !disable.isBoolean()) {
            throw new InvalidNetworkConfigException("'disableCheck' must be true or false");
        }
        JsonNode list = doc.get("plugins");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new InvalidNetworkConfigException("'plugins' must be a non-empty list");
        }
        List<ObjectNode> plugins = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode plugin = list.get(i);
            if (!plugin.isObject()) {
                throw new InvalidNetworkConfigException("plugins[" + i + "] is not an object");
            }
            String type = text(plugin, "type");
            if (type == null || !PLUGIN_TYPE.matcher(type).matches()) {
                throw new InvalidNetworkConfigException("plugins[" + i + "] needs a 'type' naming an executable (letters, digits, '_', '.', '-')");
            }
            JsonNode caps = plugin.get("capabilities");
            if (caps != null && !caps.isObject()) {
                throw new InvalidNetworkConfigException("plugins[" + i + "] 'capabilities' must be an object");
            }
            plugins.add((ObjectNode) plugin);
        }
        return new NetworkConfigList(name, version, disable != null && disable.asBoolean(), plugins, doc);
    }

    /**
     * The stdin of the plugin at {@code index}: its own config with the list's name and version,
     * the runtime config it declared capabilities for, and the previous result when there is one.
     */
    public ObjectNode pluginConfig(int index, ObjectNode runtimeConfig, JsonNode prevResult) {
        ObjectNode conf = plugins.get(index).deepCopy();
        conf.put("name", name);
        conf.put("cniVersion", cniVersion);
        JsonNode caps = conf.get("capabilities");
        ObjectNode granted = conf.objectNode();
        if (caps != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = caps.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> cap = it.next();
                if (cap.getValue().asBoolean(false) && runtimeConfig.has(cap.getKey())) {
                    granted.set(cap.getKey(), runtimeConfig.get(cap.getKey()));
                }
            }
        }
        // the spec lets runtimes replace runtimeConfig entirely with what the capabilities allow
        conf.remove("runtimeConfig");
        if (!granted.isEmpty()) {
            conf.set("runtimeConfig", granted);
        }
        if (prevResult != null) {
            conf.set("prevResult", prevResult);
        } else {
            conf.remove("prevResult");
        }
        return conf;
    }

    public String pluginType(int index) {
        return plugins.get(index).get("type").asText();
    }

    /** Whether this version knows CHECK (0.4.0 and later). */
    public boolean supportsCheck() {
        return !cniVersion.startsWith("0.3.");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }
}
