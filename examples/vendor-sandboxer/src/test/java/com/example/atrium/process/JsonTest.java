package com.example.atrium.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsWhatItWritesIncludingEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "quote \" backslash \\ newline \n tab \t bell \u0007 é");
        m.put("n", 42L);
        m.put("x", 1.5);
        m.put("list", List.of("a", true, List.of()));
        m.put("none", null);
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void readsAnOciSpecShape() {
        Object spec = Json.parse("{ \"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"/bin/sh\", \"-c\", \"echo \\u0041\"],"
                + " \"user\": {\"uid\": 0}}, \"root\": {\"path\": \"/r\", \"readonly\": false} }");
        LaunchSpec l = LaunchSpec.fromOciSpec("c1", Json.write(spec));
        assertEquals(List.of("/bin/sh", "-c", "echo A"), l.args());
        assertEquals("/r", l.rootPath());
        assertEquals("/", l.cwd());
    }

    @Test
    void namesWhereBrokenJsonBreaks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": [1, 2}"));
        assertTrue(e.getMessage().contains("offset 11"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{} trailing"));
    }
}
