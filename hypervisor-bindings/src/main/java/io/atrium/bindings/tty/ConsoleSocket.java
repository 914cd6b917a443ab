package io.atrium.bindings.tty;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import io.atrium.bindings.internal.LibC;
import io.atrium.bindings.libc.Errno;
import io.atrium.bindings.libc.ErrnoException;
import io.atrium.bindings.libc.FileFlags;
import io.atrium.bindings.libc.NativeFd;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A listening unix socket an OCI runtime connects to with {@code --console-socket}, sending the
 * pseudo-terminal master it created as an SCM_RIGHTS control message. Java's own unix-domain channels
 * cannot receive file descriptors, hence the raw socket calls.
 *
 * <p>Closing removes the socket file; a received master is the caller's to close.
 */
public final class ConsoleSocket implements Closeable {
    private static final LibC LIBC = LibC.INSTANCE;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = FileFlags.O_CLOEXEC;
    /** sizeof(struct sockaddr_un): sa_family_t + char sun_path[108]. */
    private static final int SOCKADDR_UN_SIZE = 110;
    /** The longest path sun_path holds with its terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** x86_64 struct msghdr: name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad). */
    private static final int MSGHDR_SIZE = 56;
    /** struct cmsghdr header: size_t len, int level, int type. */
    private static final int CMSGHDR_SIZE = 16;

    private final Path path;
    private final NativeFd listener;

    private ConsoleSocket(Path path, NativeFd listener) {
        this.path = path;
        this.listener = listener;
    }

    /** Creates the socket file at {@code path} (mode 0600 via the directory's owner: root) and listens. */
    public static ConsoleSocket listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_PATH_BYTES) {
            throw new IOException("console socket path is longer than " + MAX_PATH_BYTES + " bytes: " + path);
        }
        Files.createDirectories(path.toAbsolutePath().getParent());
        NativeFd fd;
        try {
            fd = new NativeFd(LIBC.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "console-socket:" + path);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "socket", "AF_UNIX", "SOCK_STREAM");
        }
        try {
            Memory addr = new Memory(SOCKADDR_UN_SIZE);
            addr.clear();
            addr.setShort(0, (short) AF_UNIX);
            addr.write(2, name, 0, name.length);
            try {
                LIBC.bind(fd.fd(), addr, SOCKADDR_UN_SIZE);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "bind", path);
            }
            try {
                LIBC.listen(fd.fd(), 1);
            } catch (LastErrorException e) {
                throw new ErrnoException(e.getErrorCode(), "listen", path);
            }
            return new ConsoleSocket(path, fd);
        } catch (IOException | RuntimeException e) {
            fd.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Accepts one connection and returns the file descriptor it sends (close-on-exec). Waits at most
     * {@code timeout} for the runtime to connect.
     *
     * @throws IOException on timeout, or when the peer sent no descriptor
     */
    public NativeFd receive(Duration timeout) throws IOException {
        if (!await(listener, timeout)) {
            throw new IOException("no terminal arrived on " + path + " within " + timeout);
        }
        NativeFd conn;
        try {
            conn = new NativeFd(LIBC.accept4(listener.fd(), null, null, SOCK_CLOEXEC), "console-conn:" + path);
        } catch (LastErrorException e) {
            throw new ErrnoException(e.getErrorCode(), "accept4", path);
        }
        try (conn) {
            if (!await(conn, timeout)) {
                throw new IOException("the runtime connected to " + path + " but sent nothing within " + timeout);
            }
            Memory data = new Memory(4096); // the runtime sends the terminal's name along with the descriptor
            Memory iov = new Memory(16);
            iov.setPointer(0, data);
            iov.setLong(8, data.size());
            Memory control = new Memory(CMSGHDR_SIZE + 8 * 4L); // room for a few descriptors
            control.clear();
            Memory msg = new Memory(MSGHDR_SIZE);
            msg.clear();
            msg.setPointer(16, iov);
            msg.setLong(24, 1);
            msg.setPointer(32, control);
            msg.setLong(40, control.size());
            long n;
            while (true) {
                try {
                    n = LIBC.recvmsg(conn.fd(), msg, MSG_CMSG_CLOEXEC);
                    break;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != Errno.EINTR.number()) {
                        throw new ErrnoException(e.getErrorCode(), "recvmsg", path);
                    }
                }
            }
            long controlLen = msg.getLong(40);
            if (n < 0 || controlLen < CMSGHDR_SIZE + 4) {
                throw new IOException("the runtime sent no file descriptor on " + path);
            }
            long cmsgLen = control.getLong(0);
            int level = control.getInt(8);
            int type = control.getInt(12);
            if (level != SOL_SOCKET || type != SCM_RIGHTS || cmsgLen < CMSGHDR_SIZE + 4) {
                throw new IOException("unexpected control message on " + path + " (level " + level + ", type " + type + ")");
            }
            int count = (int) ((cmsgLen - CMSGHDR_SIZE) / 4);
            NativeFd first = new NativeFd(control.getInt(CMSGHDR_SIZE), "pty-master:" + path);
            for (int i = 1; i < count; i++) {
                new NativeFd(control.getInt(CMSGHDR_SIZE + 4L * i), "extra").close(); // never expected; never leaked
            }
            return first;
        }
    }

    private static boolean await(NativeFd fd, Duration timeout) throws ErrnoException {
        Memory pfd = new Memory(8);
        pfd.clear();
        pfd.setInt(0, fd.fd());
        pfd.setShort(4, FileFlags.POLLIN);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int left = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000));
            try {
                return LIBC.poll(pfd, 1, left) > 0;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR.number()) {
                    throw new ErrnoException(e.getErrorCode(), "poll", fd.fd());
                }
            }
        }
    }

    /** Stops listening and removes the socket file. */
    @Override
    public void close() throws IOException {
        try {
            listener.close();
        } finally {
            Files.deleteIfExists(path);
        }
    }
}
