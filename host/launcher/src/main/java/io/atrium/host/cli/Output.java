package io.atrium.host.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Renders admin answers for people: arrays of objects as tables, objects as key: value lines. */
final class Output {
    private Output() {
    }

    static String render(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isArray() && n.size() > 0 && n.get(0).isObject()) {
            return table(n);
        }
        if (n.isArray() && n.isEmpty()) {
            return "(none)";
        }
        if (n.isObject()) {
            StringBuilder sb = new StringBuilder();
            n.fields().forEachRemaining(e -> sb.append(e.getKey()).append(": ").append(text(e.getValue())).append('\n'));
            return sb.toString().stripTrailing();
        }
        return text(n);
    }

    private static String text(JsonNode v) {
        return v.isValueNode() ? v.asText() : v.toString();
    }

    private static String table(JsonNode rows) {
        Set<String> cols = new LinkedHashSet<>();
        rows.forEach(r -> r.fieldNames().forEachRemaining(cols::add));
        List<String> names = new ArrayList<>(cols);
        int[] width = new int[names.size()];
        List<String[]> cells = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            width[i] = names.get(i).length();
        }
        for (Iterator<JsonNode> it = rows.elements(); it.hasNext();) {
            JsonNode r = it.next();
            String[] row = new String[names.size()];
            for (int i = 0; i < names.size(); i++) {
                JsonNode v = r.get(names.get(i));
                row[i] = v == null || v.isNull() ? "" : text(v);
                width[i] = Math.max(width[i], row[i].length());
            }
            cells.add(row);
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, names.stream().map(String::toUpperCase).toArray(String[]::new), width);
        cells.forEach(r -> appendRow(sb, r, width));
        return sb.toString().stripTrailing();
    }

    private static void appendRow(StringBuilder sb, String[] row, int[] width) {
        for (int i = 0; i < row.length; i++) {
            sb.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
        }
        sb.append('\n');
    }
}
