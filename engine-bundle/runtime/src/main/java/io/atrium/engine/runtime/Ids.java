package io.atrium.engine.runtime;

import java.security.SecureRandom;
import java.util.HexFormat;

/** 64-hex-digit ids, as containerd and kubelet expect them. */
final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    static String next() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
