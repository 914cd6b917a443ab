package io.atrium.ttrpc;

/**
 * A frame longer than {@link Frame#MAX_DATA_LENGTH}. When reading, its data has been skipped
 * (never held in memory) so the connection stays in step and the stream can be answered with
 * RESOURCE_EXHAUSTED, as containerd's ttrpc does; when writing, nothing was written.
 */
public final class OversizedFrameException extends TtrpcProtocolException {
    private static final long serialVersionUID = 1L;

    private final transient Frame.Header header;

    public OversizedFrameException(Frame.Header header, int limit) {
        super("message length " + header.dataLength() + " exceeds the maximum of " + limit + " bytes ("
                + header + ")");
        this.header = header;
    }

    public Frame.Header header() {
        return header;
    }

    public int streamId() {
        return header.streamId();
    }
}
