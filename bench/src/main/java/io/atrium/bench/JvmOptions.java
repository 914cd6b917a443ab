package io.atrium.bench;

import java.util.Map;

/** Idle footprint of the node JVM under several option sets (filled in below). */
final class JvmOptions {
    private JvmOptions() {
    }

    static void main(Map<String, String> opts) throws Exception {
        throw new UnsupportedOperationException("not yet");
    }
}
