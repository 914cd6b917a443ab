package io.atrium.engine.streaming.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Reads the v4 error-stream status the way client-go does: Success is 0, NonZeroExitCode carries the code. */
public final class ChannelStatus {
    private ChannelStatus() {
    }

    /** The exit code, or throws if the status is neither success nor an exit code. */
    public static int exitCode(String json) throws IOException {
        JsonNode s = new ObjectMapper().readTree(json);
        if ("Success".equals(s.path("status").asText())) {
            return 0;
        }
        if ("NonZeroExitCode".equals(s.path("reason").asText())) {
            for (JsonNode c : s.path("details").path("causes")) {
                if ("ExitCode".equals(c.path("reason").asText())) {
                    return Integer.parseInt(c.path("message").asText());
                }
            }
        }
        throw new IOException("status carries no exit code: " + json);
    }
}
