package io.atrium.engine.streaming.server;

import java.util.Map;

/**
 * One SPDY stream the client opened: its headers (names lower-case, as SPDY sends them), what the
 * client sends on it and what we send back.
 */
final class SpdyStreamEnd {
    final int id;
    final Map<String, String> headers;
    final InboundPipe in;
    final OutboundStream out;
    /** The client sent FIN (event loop only). */
    boolean remoteEnded;
    /** We sent FIN (event loop only). */
    boolean localEnded;

    SpdyStreamEnd(int id, Map<String, String> headers, InboundPipe in, OutboundStream out) {
        this.id = id;
        this.headers = headers;
        this.in = in;
        this.out = out;
    }

    String header(String name) {
        String v = headers.get(name);
        return v == null ? "" : v;
    }

    /** Both directions are over (a reset, or the connection went away). */
    void abort() {
        in.close();
        out.abandon();
    }
}
