package io.atrium.engine.streaming.server;

import java.util.List;

/** The protocol names clients negotiate, as kubelet's streaming server knows them. */
final class Protocols {
    /** Remote command over SPDY (X-Stream-Protocol-Version), newest first. */
    static final String V4 = "v4.channel.k8s.io";
    static final String V3 = "v3.channel.k8s.io";
    static final String V2 = "v2.channel.k8s.io";
    static final String V1 = "channel.k8s.io";
    static final List<String> REMOTE_COMMAND_SPDY = List.of(V4, V3, V2, V1);
    /** Port-forward over SPDY. */
    static final String PORT_FORWARD = "portforward.k8s.io";

    /** WebSocket subprotocols (Sec-WebSocket-Protocol). */
    static final String WS_V5 = "v5.channel.k8s.io";
    static final String WS_V4 = "v4.channel.k8s.io";
    static final String WS_V4_BASE64 = "v4.base64.channel.k8s.io";
    static final String WS_V1 = "channel.k8s.io";
    static final String WS_V1_BASE64 = "base64.channel.k8s.io";
    static final List<String> REMOTE_COMMAND_WS = List.of(WS_V5, WS_V4, WS_V4_BASE64, WS_V1, WS_V1_BASE64);
    static final List<String> PORT_FORWARD_WS = List.of(WS_V4, WS_V4_BASE64);

    static final String HEADER_PROTOCOL = "X-Stream-Protocol-Version";
    static final String HEADER_ACCEPTED = "X-Accepted-Stream-Protocol-Versions";

    private Protocols() {
    }
}
