package io.atrium.engine.runtime.validate;

import io.atrium.sandbox.api.SandboxException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/** Size bounds shared by the pod and container validators; far above what kubelet sends, far below harm. */
final class ConfigLimits {
    private ConfigLimits() {}

    static final int MAX_NAME = 253;
    static final int MAX_UID = 128;
    static final int MAX_LABELS = 1024;
    static final int MAX_KEY = 317; // 253-character DNS prefix, '/', 63-character name
    static final int MAX_LABEL_VALUE = 4096;
    /** Kubernetes caps all annotations of an object at 256 KiB. */
    static final int MAX_ANNOTATION_BYTES = 256 * 1024;
    static final int MAX_PATH = 4096;
    static final int MAX_LIST = 4096;
    static final int MAX_ARG_BYTES = 1024 * 1024;
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?");

    static void name(String what, String value) {
        if (value.isEmpty()) {
            throw SandboxException.invalid(what + " is required");
        }
        if (value.length() > MAX_NAME) {
            throw SandboxException.invalid(what + " is longer than " + MAX_NAME + " characters");
        }
        if (!NAME.matcher(value).matches()) {
            throw SandboxException.invalid(what + " '" + value + "' may only hold letters, digits, '.', '_' and '-'");
        }
    }

    static void labels(String what, Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            throw SandboxException.invalid(what + " has " + labels.size() + " entries, more than " + MAX_LABELS);
        }
        labels.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > MAX_KEY) {
                throw SandboxException.invalid(what + " key '" + abbreviate(k) + "' is empty or longer than " + MAX_KEY);
            }
            if (v.length() > MAX_LABEL_VALUE) {
                throw SandboxException.invalid(what + " value of '" + k + "' is longer than " + MAX_LABEL_VALUE);
            }
        });
    }

    static void annotations(String what, Map<String, String> annotations) {
        long bytes = 0;
        for (Map.Entry<String, String> e : annotations.entrySet()) {
            if (e.getKey().isEmpty()) {
                throw SandboxException.invalid(what + " has an empty key");
            }
            bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_ANNOTATION_BYTES) {
            throw SandboxException.invalid(what + " total " + bytes + " bytes, more than " + MAX_ANNOTATION_BYTES);
        }
    }

    static void absolutePath(String what, String path) {
        if (path.isEmpty() || !path.startsWith("/")) {
            throw SandboxException.invalid(what + " must be an absolute path, got '" + abbreviate(path) + "'");
        }
        if (path.length() > MAX_PATH || path.indexOf('\0') >= 0) {
            throw SandboxException.invalid(what + " is too long or holds a NUL byte");
        }
    }

    static void count(String what, int n, int max) {
        if (n > max) {
            throw SandboxException.invalid(what + " has " + n + " entries, more than " + max);
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
