package io.atrium.sandboxer.ociruntime;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A thread copying one output stream of a process (a FIFO, or a terminal) into a sink. */
public interface OutputPump {

    /** Completes once the sink got everything and was finished. */
    CompletableFuture<Void> done();

    /** Stops copying, leaving what was not read for the next reader; waits briefly for the thread. */
    void stop();

    /** Waits up to {@code timeout} for end-of-file, then stops; true if the stream really ended. */
    default boolean awaitEnd(Duration timeout) {
        try {
            done().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            stop();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }
}
