package io.atrium.image.api;

import java.util.regex.Pattern;

/**
 * A normalised image reference, as the Docker/OCI ecosystem spells them:
 * {@code busybox} is {@code docker.io/library/busybox:latest}, {@code host:5000/a/b@sha256:…}
 * keeps its port and digest.
 *
 * @param domain registry host, with port if any ({@code docker.io}, {@code 127.0.0.1:5000}, {@code [::1]:5000})
 * @param path repository path inside the registry ({@code library/busybox})
 * @param tag the tag, or null when only a digest was given
 * @param digest {@code algorithm:hex}, or null
 */
public record ImageReference(String domain, String path, String tag, String digest) {

    public static final String DOCKER_HUB = "docker.io";
    private static final String ALNUM = "[a-z0-9]+";
    private static final String SEPARATOR = "(?:[._]|__|[-]+)";
    private static final Pattern PATH = Pattern.compile(ALNUM + "(?:" + SEPARATOR + ALNUM + ")*(?:/" + ALNUM + "(?:" + SEPARATOR + ALNUM + ")*)*");
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern BARE_ID = Pattern.compile("[a-f0-9]{64}");
    private static final int MAX_NAME_LENGTH = 255;

    public ImageReference {
        if (domain == null || path == null) {
            throw ImageException.invalid("an image reference needs a domain and a path");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
    }

    /**
     * Parses and normalises a reference.
     *
     * @throws ImageException with reason INVALID_ARGUMENT, naming what is wrong
     */
    public static ImageReference parse(String text) {
        if (text == null || text.isBlank()) {
            throw ImageException.invalid("image reference is empty");
        }
        String rest = text.trim();
        String digest = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches() || (digest.startsWith("sha256:") && !SHA256.matcher(digest).matches())) {
                throw ImageException.invalid("invalid digest '" + digest + "' in image reference '" + text + "'");
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/') && colon > rest.lastIndexOf(']')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw ImageException.invalid("invalid tag '" + tag + "' in image reference '" + text + "'");
            }
        }
        if (BARE_ID.matcher(rest).matches()) {
            throw ImageException.invalid("invalid image reference '" + text + "': a 64-character hex string is an image id, not a name");
        }
        String domain;
        String path;
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        boolean firstIsDomain = slash >= 0
                && (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase()));
        if (firstIsDomain) {
            domain = first;
            path = rest.substring(slash + 1);
            if (!DOMAIN.matcher(domain).matches()) {
                throw ImageException.invalid("invalid registry host '" + domain + "' in image reference '" + text + "'");
            }
        } else {
            domain = DOCKER_HUB;
            path = rest;
        }
        if (domain.equals("index.docker.io")) {
            domain = DOCKER_HUB;
        }
        if (domain.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
            path = "library/" + path;
        }
        if (!PATH.matcher(path).matches()) {
            throw ImageException.invalid("invalid repository name '" + path + "' in image reference '" + text
                    + "' (lower-case letters, digits and . _ - separators only)");
        }
        if (domain.length() + 1 + path.length() > MAX_NAME_LENGTH) {
            throw ImageException.invalid("repository name in '" + text + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        return new ImageReference(domain, path, tag, digest);
    }

    /** {@code domain/path}, the name without tag or digest. */
    public String repository() {
        return domain + "/" + path;
    }

    /** The tag or digest to ask the registry for; the digest wins when both are given. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** {@code domain/path:tag}, or null when the reference has no tag. */
    public String tagged() {
        return tag == null ? null : repository() + ":" + tag;
    }

    /** The same repository pinned to a digest. */
    public String withDigest(String manifestDigest) {
        return repository() + "@" + manifestDigest;
    }

    @Override
    public String toString() {
        return repository() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
