package io.atrium.engine.streaming.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads the resize stream: a sequence of JSON objects {@code {"Width":w,"Height":h}} (Go's field
 * names; Go's decoder matches keys case-insensitively, so this does too). Ends at end-of-file or at
 * the first value that is not such an object, as kubelet stops reading then.
 */
final class TerminalSizes {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TerminalSizes() {
    }

    static void read(InputStream in, BiConsumer<Integer, Integer> onSize) throws IOException {
        try (JsonParser parser = JSON.getFactory().createParser(in)) {
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                JsonNode node = JSON.readTree(parser);
                int width = field(node, "width");
                int height = field(node, "height");
                if (width < 0 || height < 0) {
                    return;
                }
                onSize.accept(width, height);
            }
        }
    }

    private static int field(JsonNode node, String name) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                JsonNode v = e.getValue();
                return v.canConvertToInt() && v.intValue() >= 0 && v.intValue() <= 65535 ? v.intValue() : -1;
            }
        }
        return 0;
    }
}
