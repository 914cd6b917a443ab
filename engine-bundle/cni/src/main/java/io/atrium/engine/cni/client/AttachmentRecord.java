package io.atrium.engine.cni.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the node remembers about one pod's network, so DEL can be sent with exactly the config,
 * arguments and previous result of the ADD, even after the config dir changed or the node restarted.
 *
 * <pre>
 *   ADDING ──ADD ok──► ATTACHED ──tearDown──► DELETING ──DEL ok──► (record removed)
 *      └──ADD failed / crash──────────────────────┘  ▲ DEL failed: kept, retried
 * </pre>
 *
 * @param format the file format version ({@value AttachmentJournal#FORMAT})
 * @param podId the pod (CNI container id)
 * @param state where the attachment is
 * @param netns the namespace file the pod was attached in
 * @param ifName the interface name inside the pod
 * @param cniArgs the CNI_ARGS of the ADD
 * @param runtimeConfig the capabilities' values (port mappings, bandwidth)
 * @param config the network config list used for ADD
 * @param result the chain's final result, null until ADD finished
 */
public record AttachmentRecord(int format, String podId, State state, String netns, String ifName, String cniArgs,
        ObjectNode runtimeConfig, ObjectNode config, JsonNode result) {

    public AttachmentRecord {
        // Jackson reads a JSON null into a JsonNode field as NullNode; DEL must then send no prevResult
        if (result != null && result.isNull()) {
            result = null;
        }
    }

    public enum State {
        /** ADD is running or was interrupted by a crash: needs a DEL unless it finishes. */
        ADDING,
        /** The pod is attached. */
        ATTACHED,
        /** A DEL is due: it is running or failed and will be retried. */
        DELETING
    }

    public AttachmentRecord with(State next, JsonNode newResult) {
        return new AttachmentRecord(format, podId, next, netns, ifName, cniArgs, runtimeConfig, config, newResult);
    }

    /** Whether a DEL is still owed for this record. */
    public boolean needsDelete() {
        return state != State.ATTACHED;
    }
}
