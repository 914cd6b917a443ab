package io.atrium.engine.streaming.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * What the error stream carries at the end of an exec or attach. In the v4 protocols it is a
 * metav1.Status: {@code Success}, or {@code Failure} with reason {@code NonZeroExitCode} and the exit
 * code as the message of a cause of type {@code ExitCode} (how kubectl learns the code), or
 * {@code InternalError}. Before v4 only a failure's message is written.
 */
final class StatusMessages {
    static final String NON_ZERO_EXIT = "NonZeroExitCode";
    static final String EXIT_CODE_CAUSE = "ExitCode";
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusMessages() {
    }

    /** The bytes to write, or an empty array when nothing is written (success before v4). */
    static byte[] success(boolean json) {
        if (!json) {
            return new byte[0];
        }
        ObjectNode status = base();
        status.put("status", "Success");
        return bytes(status);
    }

    static byte[] exitCode(boolean json, int code, String command) {
        String message = "command terminated with non-zero exit code: command '" + command + "' exited with " + code;
        if (!json) {
            return message.getBytes(StandardCharsets.UTF_8);
        }
        ObjectNode status = base();
        status.put("status", "Failure");
        status.put("message", message);
        status.put("reason", NON_ZERO_EXIT);
        ObjectNode cause = status.putObject("details").putArray("causes").addObject();
        cause.put("reason", EXIT_CODE_CAUSE);
        cause.put("message", Integer.toString(code));
        return bytes(status);
    }

    static byte[] internalError(boolean json, String error) {
        String message = "Internal error occurred: " + error;
        if (!json) {
            return message.getBytes(StandardCharsets.UTF_8);
        }
        ObjectNode status = base();
        status.put("status", "Failure");
        status.put("message", message);
        status.put("reason", "InternalError");
        status.putObject("details").putArray("causes").addObject().put("message", error);
        status.put("code", 500);
        return bytes(status);
    }

    private static ObjectNode base() {
        ObjectNode status = JSON.createObjectNode();
        status.putObject("metadata");
        return status;
    }

    private static byte[] bytes(ObjectNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
