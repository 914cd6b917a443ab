package io.atrium.engine.images.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One {@code WWW-Authenticate} challenge (RFC 7235): a scheme and its auth-params. */
public record AuthChallenge(String scheme, Map<String, String> params) {

    /** Parses every challenge in the header values; unparseable parts are skipped. */
    public static List<AuthChallenge> parse(List<String> headerValues) {
        List<AuthChallenge> out = new ArrayList<>();
        for (String value : headerValues) {
            parseOne(value, out);
        }
        return out;
    }

    private static void parseOne(String s, List<AuthChallenge> out) {
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && s.charAt(i) != ' ' && s.charAt(i) != ',') {
                i++;
            }
            if (start == i) {
                return;
            }
            String scheme = s.substring(start, i).toLowerCase(Locale.ROOT);
            Map<String, String> params = new LinkedHashMap<>();
            while (i < n) {
                int save = i;
                while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',')) {
                    i++;
                }
                int keyStart = i;
                while (i < n && s.charAt(i) != '=' && s.charAt(i) != ' ' && s.charAt(i) != ',') {
                    i++;
                }
                if (i >= n || s.charAt(i) != '=') {
                    i = save; // not a param: the next challenge's scheme starts here
                    break;
                }
                String key = s.substring(keyStart, i).toLowerCase(Locale.ROOT);
                i++;
                StringBuilder val = new StringBuilder();
                if (i < n && s.charAt(i) == '"') {
                    i++;
                    while (i < n && s.charAt(i) != '"') {
                        if (s.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        val.append(s.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < n && s.charAt(i) != ',' && s.charAt(i) != ' ') {
                        val.append(s.charAt(i++));
                    }
                }
                params.put(key, val.toString());
            }
            out.add(new AuthChallenge(scheme, params));
        }
    }
}
