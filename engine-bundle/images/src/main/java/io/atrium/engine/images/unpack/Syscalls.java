package io.atrium.engine.images.unpack;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The few calls the JDK lacks for unpacking layers: mknod (device nodes, FIFOs, overlay whiteouts)
 * and lsetxattr (any namespace, never through a symlink). Loaded on first use, so a node that
 * never meets such an entry never loads JNA.
 */
public final class Syscalls {

    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;

    private interface LibC extends Library {
        int mknod(String path, int mode, long dev) throws LastErrorException;

        int lsetxattr(String path, String name, byte[] value, long size, int flags) throws LastErrorException;

        long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC C = Native.load("c", LibC.class);
    }

    private Syscalls() {
    }

    /** glibc's makedev for the 64-bit dev_t. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static void mknod(Path path, int mode, long major, long minor) throws IOException {
        try {
            Holder.C.mknod(path.toString(), mode, makedev(major, minor));
        } catch (LastErrorException e) {
            throw new IOException("mknod " + path + " (mode " + Integer.toOctalString(mode) + ", " + major + ":" + minor + ") failed: errno " + e.getErrorCode(), e);
        }
    }

    public static void lsetxattr(Path path, String name, byte[] value) throws IOException {
        try {
            Holder.C.lsetxattr(path.toString(), name, value, value.length, 0);
        } catch (LastErrorException e) {
            throw new IOException("lsetxattr " + path + " " + name + " failed: errno " + e.getErrorCode(), e);
        }
    }

    /** The xattr's value, or null when the file does not have it. */
    public static byte[] lgetxattr(Path path, String name) throws IOException {
        byte[] buf = new byte[256];
        try {
            long n = Holder.C.lgetxattr(path.toString(), name, buf, buf.length);
            return java.util.Arrays.copyOf(buf, (int) n);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 61 /* ENODATA */ || e.getErrorCode() == 95 /* ENOTSUP */) {
                return null;
            }
            throw new IOException("lgetxattr " + path + " " + name + " failed: errno " + e.getErrorCode(), e);
        }
    }
}
