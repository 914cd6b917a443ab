package io.atrium.engine.images.content;

import io.atrium.image.api.ImageException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** OCI content digests; only sha256 is accepted, as every registry and runtime produces it. */
public final class Digests {

    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private Digests() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    public static String of(byte[] data) {
        return format(sha256().digest(data));
    }

    public static String format(byte[] sha256) {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }

    public static boolean isValid(String digest) {
        return digest != null && SHA256.matcher(digest).matches();
    }

    /** The hex part of a validated digest; refuses anything else so it is safe as a file name. */
    public static String hex(String digest) {
        if (!isValid(digest)) {
            throw ImageException.invalid("unsupported or malformed digest '" + digest + "' (only sha256 is supported)");
        }
        return digest.substring("sha256:".length());
    }
}
