package io.atrium.sandboxer.ociruntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Where a process's output stream goes once read from its FIFO. */
public interface OutputSink {

    void write(byte[] data, int length) throws IOException;

    /** The stream ended (or its reader was stopped); flush what is pending. */
    void finish() throws IOException;

    /** CRI log lines: full lines tagged F; lines over 16 KiB, and a last line with no newline, tagged P. */
    final class CriLog implements OutputSink {
        public static final int MAX_LINE = 16 * 1024;
        private final CriLogWriter log;
        private final String stream;
        private final byte[] pending = new byte[MAX_LINE];
        private int used;

        public CriLog(CriLogWriter log, String stream) {
            this.log = log;
            this.stream = stream;
        }

        @Override
        public void write(byte[] data, int length) throws IOException {
            for (int i = 0; i < length; i++) {
                byte b = data[i];
                if (b == '\n') {
                    log.write(stream, false, pending, 0, used);
                    used = 0;
                } else {
                    pending[used++] = b;
                    if (used == MAX_LINE) {
                        log.write(stream, true, pending, 0, used);
                        used = 0;
                    }
                }
            }
        }

        @Override
        public void finish() throws IOException {
            if (used > 0) {
                log.write(stream, true, pending, 0, used);
                used = 0;
            }
        }
    }

    /** Raw bytes into an in-process channel (exec and attach streams). */
    final class Channel implements OutputSink {
        private final WritableByteChannel channel;

        public Channel(WritableByteChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(byte[] data, int length) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(data, 0, length);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        @Override
        public void finish() {
            // the channel belongs to the engine's streaming session, which closes it
        }
    }
}
