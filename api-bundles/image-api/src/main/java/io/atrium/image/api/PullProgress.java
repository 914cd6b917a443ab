package io.atrium.image.api;

/**
 * One step of a pull or import, for progress displays.
 *
 * @param digest the blob concerned, or null for image-wide steps
 * @param done bytes done so far
 * @param total bytes expected, or -1 when unknown
 */
public record PullProgress(Phase phase, String digest, long done, long total, String message) {

    public enum Phase { RESOLVING, WAITING, DOWNLOADING, EXISTS, VERIFYING, UNPACKING, DONE, COMPLETE }
}
