package io.atrium.image.api;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives pull and import progress; called from download threads, so it must be thread safe. */
@ConsumerType
@FunctionalInterface
public interface PullListener {

    PullListener NONE = p -> { };

    void progress(PullProgress progress);
}
