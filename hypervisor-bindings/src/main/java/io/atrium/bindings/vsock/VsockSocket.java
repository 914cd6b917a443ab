package io.atrium.bindings.vsock;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.NativeFd;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A connected AF_VSOCK stream socket with blocking Java streams. */
public final class VsockSocket implements Closeable {
    private final NativeFd fd;
    private final InputStream in;
    private final OutputStream out;

    VsockSocket(NativeFd fd) {
        this.fd = fd;
        this.in = new In();
        this.out = new Out();
    }

    /** Connects to {@code cid:port} (blocking; the kernel's default connect timeout is 2 s). */
    public static VsockSocket connect(VsockAddress address) throws ErrnoException {
        NativeFd fd = VsockNative.socket();
        try {
            VsockNative.LIBC.connect(fd.fd(), address.toNative(), VsockAddress.SIZE);
            return new VsockSocket(fd);
        } catch (LastErrorException e) {
            fd.close();
            throw new ErrnoException(e.getErrorCode(), "connect", address.toString());
        }
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    public VsockAddress localAddress() throws ErrnoException {
        return VsockNative.sockname(fd, false);
    }

    public VsockAddress remoteAddress() throws ErrnoException {
        return VsockNative.sockname(fd, true);
    }

    /** Half-closes: the peer reads end-of-stream, we can still read. */
    public void shutdownOutput() throws ErrnoException {
        try {
            VsockNative.LIBC.shutdown(fd.fd(), VsockNative.SHUT_WR);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "shutdown", fd.fd(), "SHUT_WR");
        }
    }

    @Override
    public void close() throws ErrnoException {
        fd.close();
    }

    private void open() throws IOException {
        if (fd.isClosed()) {
            throw new IOException("vsock socket closed");
        }
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            int n = read(b, 0, 1);
            return n < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            open();
            if (len == 0) {
                return 0;
            }
            Memory buf = new Memory(len);
            long n;
            try {
                n = VsockNative.LIBC.read(fd.fd(), buf, len);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "read", fd.fd(), len);
            }
            if (n == 0) {
                return -1;
            }
            buf.read(0, b, off, (int) n);
            return (int) n;
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            open();
            if (len == 0) {
                return;
            }
            Memory buf = new Memory(len);
            buf.write(0, b, off, len);
            long done = 0;
            while (done < len) {
                try {
                    done += VsockNative.LIBC.write(fd.fd(), buf.share(done), len - done);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Errno.EINTR.number()) {
                        continue;
                    }
                    throw new ErrnoException(e.getErrorCode(), "write", fd.fd(), len - done);
                }
            }
        }
    }
}
