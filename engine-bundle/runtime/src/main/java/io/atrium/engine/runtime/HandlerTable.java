package io.atrium.engine.runtime;

import io.atrium.sandbox.api.SandboxException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * CRI runtime handlers to sandboxer names, from the framework properties the host sets from
 * {@code [sandboxers]} in atrium.toml: {@value #HANDLERS_PROPERTY} ("handler=name,...") and
 * {@value #DEFAULT_PROPERTY} (the handler for an empty runtime_handler).
 */
public record HandlerTable(Map<String, String> handlers, String defaultHandler) {
    public static final String HANDLERS_PROPERTY = "atrium.sandboxer.handlers";
    public static final String DEFAULT_PROPERTY = "atrium.sandboxer.default";

    public HandlerTable {
        handlers = Collections.unmodifiableMap(new TreeMap<>(handlers));
    }

    public static HandlerTable parse(String handlers, String defaultHandler) {
        Map<String, String> map = new TreeMap<>();
        if (handlers != null) {
            for (String entry : handlers.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                if (eq <= 0 || eq == entry.length() - 1) {
                    throw new IllegalArgumentException(HANDLERS_PROPERTY + " entry '" + entry.trim()
                            + "' is not handler=sandboxer");
                }
                map.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
            }
        }
        String def = defaultHandler == null || defaultHandler.isBlank() ? "runc" : defaultHandler.trim();
        if (map.isEmpty()) {
            map.put(def, def);
        }
        return new HandlerTable(map, def);
    }

    /** The sandboxer for a runtime handler (empty: the default), or INVALID_ARGUMENT naming the known ones. */
    public String sandboxerFor(String runtimeHandler) {
        String handler = runtimeHandler == null || runtimeHandler.isEmpty() ? defaultHandler : runtimeHandler;
        String name = handlers.get(handler);
        if (name == null) {
            throw SandboxException.invalid("unknown runtime handler '" + handler + "'; known handlers: "
                    + String.join(", ", handlers.keySet()));
        }
        return name;
    }

    /** The handler name recorded for a pod (the default's name when the request left it empty). */
    public String handlerName(String runtimeHandler) {
        return runtimeHandler == null || runtimeHandler.isEmpty() ? defaultHandler : runtimeHandler;
    }
}
