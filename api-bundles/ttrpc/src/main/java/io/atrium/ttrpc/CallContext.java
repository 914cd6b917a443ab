package io.atrium.ttrpc;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a server handler knows about the call besides its request message. */
public record CallContext(String service, String method, Optional<Duration> timeout,
        Map<String, List<String>> metadata) {

    public CallContext {
        metadata = Map.copyOf(metadata);
    }
}
